import base64, quopri, subprocess, time, sys
cases = [
    ("gbk", "B", "张伟", "zhangwei@163.example.com", "快递单号查不到", "你好，快递单号 SF1234567890 查不到物流信息，请帮忙看一下。\n\n张伟\n"),
    ("gb18030", "Q", "刘洋", "liuyang@qq.example.com", "发票怎么开？", "您好，订单 2026120303 需要开增值税发票，抬头：某某公司。\n\n刘洋\n"),
    ("big5", "B", "黃美玲", "meiling@example.com.hk", "尺寸不合適，可以換嗎？", "你好，收到的外套尺寸太大，請問可以換小一號嗎？\n\n黃美玲\n"),
    ("utf-8", "Q", "Zoë Müller 李", "zoe.mueller@mail.example.de", "Wo bleibt meine Bestellung?", "Hallo, meine Bestellung 9911 ist noch nicht da. Können Sie nachsehen?\n\nZoë\n"),
]
def word(text, charset, enc):
    raw = text.encode(charset)
    if enc == "B":
        return f"=?{charset.upper()}?B?{base64.b64encode(raw).decode()}?="
    q = quopri.encodestring(raw, header=True).decode().replace("=\n", "")
    # RFC 2047 Q: '<', '>', '@' etc are not allowed literally
    q = "".join(c if c.isalnum() or c in "=_" else "=%02X" % ord(c) for c in q)
    return f"=?{charset.upper()}?Q?{q}?="
for i, (cs, enc, name, addr, subject, body) in enumerate(cases):
    open("body.txt", "wb").write(body.encode(cs))
    port = 8025 + i
    p = subprocess.Popen(["/usr/bin/python3", "capture.py", str(port), f"swaks-{cs}-encoded-from.eml"])
    time.sleep(1.5)
    subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--to", "shop1@desk.example", "--from", addr,
        "--h-From", word(f"{name} <{addr}>", cs, enc),
        "--h-Subject", word(subject, cs, "B"),
        "--add-header", f"Content-Type: text/plain; charset={cs}",
        "--add-header", "Content-Transfer-Encoding: 8bit",
        "--add-header", "MIME-Version: 1.0",
        "--body", "@/tmp/mailgen/body.txt"], check=True, stdout=subprocess.DEVNULL)
    p.wait(10)

# Generates buyer mails whose From is one RFC 2047 encoded word holding "Name <addr>",
# as the compat32 email.header.Header API (and webmail clients built like it) write them.
import email.header, email.mime.text, email.utils, sys
cases = [
    ("gbk", "李雷", "lilei@163.example.com", "订单 2026120101 还没发货", "你好，我的订单 2026120101 已付款五天，还没有发货，请尽快处理。\n\n李雷"),
    ("gb18030", "韩梅梅", "hanmeimei@qq.example.com", "退货地址是哪里？", "您好，我想退回订单 2026120202 的鞋子，尺码偏小。请告诉我退货地址。\n\n韩梅梅"),
    ("big5", "林志明", "zhiming.lin@example.com.tw", "包裹何時到？", "您好，訂單 778899 的包裹已經一週了，請問何時會到？\n\n林志明"),
    ("utf-8", "José Pérez 王", "jose.perez@webmail.example.es", "¿Dónde está mi pedido 4455?", "Hola, el pedido 4455 no ha llegado todavía. ¿Pueden revisarlo?\n\nJosé"),
]
for charset, name, addr, subject, body in cases:
    msg = email.mime.text.MIMEText(body, "plain", charset)
    msg["From"] = email.header.Header(f"{name} <{addr}>", charset)
    msg["To"] = "shop1@desk.example"
    msg["Subject"] = email.header.Header(subject, charset)
    msg["Date"] = "Sun, 06 Dec 2026 10:%02d:00 +0800" % cases.index((charset, name, addr, subject, body))
    msg["Message-ID"] = f"<python-{charset}-encoded-from@buyer.example>"
    open(f"python-{charset}-encoded-from.eml", "wb").write(msg.as_bytes())

# A test SMTP relay that wants TLS and AUTH, as a provider's submission port does
# (Debian's python3-aiosmtpd). Started by crates/kefu/tests/email.rs on 127.0.0.1.
#
#   relay.py starttls|tls PORT CERT KEY USER PASSWORD OUTDIR
#
# starttls: plain greeting, STARTTLS required before AUTH and MAIL (port 587 style);
# tls: TLS from the first byte (port 465 style). AUTH PLAIN/LOGIN with USER/PASSWORD is
# required. Each accepted mail is written to OUTDIR/N.eml, with OUTDIR/N.json saying whether
# TLS was on and who logged in. Prints "ready" once listening; runs until killed.
import json, os, ssl, sys, threading, warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, user, password, outdir = sys.argv[1:8]
# Implicit TLS is TLS too, though aiosmtpd warns that AUTH is not tied to STARTTLS.
warnings.filterwarnings("ignore", category=UserWarning)
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
lock = threading.Lock()
count = [0]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


class Keep:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            count[0] += 1
            n = count[0]
        with open(os.path.join(outdir, f"{n}.eml"), "wb") as f:
            f.write(envelope.original_content)
        meta = {
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None,
            "authenticated": bool(session.authenticated),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
        }
        # Written aside and renamed, so a reader never sees half a file.
        with open(os.path.join(outdir, f"{n}.json.tmp"), "w") as f:
            json.dump(meta, f)
        os.rename(os.path.join(outdir, f"{n}.json.tmp"), os.path.join(outdir, f"{n}.json"))
        return "250 queued"


common = dict(
    hostname="127.0.0.1",
    port=int(port),
    authenticator=authenticator,
    auth_required=True,
    decode_data=False,
)
if mode == "starttls":
    controller = Controller(
        Keep(), tls_context=ctx, require_starttls=True, auth_require_tls=True, **common
    )
elif mode == "tls":
    controller = Controller(Keep(), ssl_context=ctx, auth_require_tls=False, **common)
else:
    sys.exit(f"unknown mode {mode}")
controller.start()
print("ready", flush=True)
threading.Event().wait()

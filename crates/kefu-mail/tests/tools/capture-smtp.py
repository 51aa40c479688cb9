# Captures one mail's DATA as swaks sent it into OUT, then stops.
import asyncio, sys, threading
from aiosmtpd.controller import Controller
out = sys.argv[2]
class H:
    async def handle_DATA(self, server, session, envelope):
        open(out, "wb").write(envelope.original_content)
        done.set()
        return "250 kept"
done = None
async def main():
    global done
    done = threading.Event()
    c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1]), decode_data=False)
    c.start()
    done.wait(); __import__("time").sleep(1)
    c.stop()
asyncio.run(main())

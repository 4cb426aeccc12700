#!/usr/bin/env python3
"""A TLS syslog server (RFC 5425) that talks back, for tests/test_syslog_tls.sh.

Listens on 127.0.0.1 (the port it got goes to --port-file) with the
certificate --cert and key --key, each connection on a thread of its own.
It reads octet-counted messages (RFC 6587) and appends each to --out as a
line "msg TEXT". After the --talk-after K-th message of a connection it
sends the client a line of its own, unasked, as a server whose TLS 1.3
session tickets come late does, and appends "talked" to --out. When the
client's close_notify comes, it waits --linger S seconds, answers with its
own close_notify and reads the socket to its end. Then the connection's
end goes to --out as a line "end N HOW", N being its message count and
HOW one of

  clean  the client's close_notify, our answer taken, then its FIN
  reset  the client reset the connection (at any point)
  eof    the client's FIN without a close_notify first
  closed we closed it after --close-after K messages, without a
         close_notify (a server that drops idle connections)
  error  anything else, its reason following

A client that closes its socket with our line unread makes its kernel send
a reset: "reset" is what that client's close looks like from here.

  tls_peer.py --cert F --key F --port-file F --out F [--talk-after K]
              [--close-after K] [--linger S]

Standard library only.
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time

out_lock = threading.Lock()


def say(out, line):
    with out_lock, open(out, "a") as f:
        f.write(line + "\n")


def serve(conn, ctx, args):
    """One connection: its messages and how it ended."""
    n = 0
    s = conn
    try:
        s = ctx.wrap_socket(conn, server_side=True, suppress_ragged_eofs=False)
        buf = b""
        while True:
            data = s.recv(65536)
            if not data:
                break  # the client's close_notify
            buf += data
            while True:
                sp = buf.find(b" ")
                if sp < 0 or len(buf) < sp + 1 + int(buf[:sp]):
                    break
                end = sp + 1 + int(buf[:sp])
                say(args.out, "msg " + buf[sp + 1:end].decode("utf-8", "replace"))
                buf = buf[end:]
                n += 1
                if n == args.talk_after:
                    s.sendall(b"hello from the server\n")
                    say(args.out, "talked")
                if n == args.close_after:
                    return "end %d closed" % n
        time.sleep(args.linger)
        try:
            raw = s.unwrap()  # our close_notify
            while raw.recv(4096):
                pass
        except OSError as e:
            # Its close_notify came, so the client meant to close: what
            # fails now is its socket, gone before the answer (a reset).
            return "end %d reset (%s)" % (n, e)
        return "end %d clean" % n
    except (ConnectionResetError, BrokenPipeError):
        return "end %d reset" % n
    except ssl.SSLEOFError:
        return "end %d eof" % n
    except (OSError, ValueError) as e:
        return "end %d error %s" % (n, e)
    finally:
        s.close()  # the TLS socket owns the connection once it is made


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--talk-after", type=int, default=0)
    p.add_argument("--close-after", type=int, default=0)
    p.add_argument("--linger", type=float, default=0.3)
    args = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=lambda c=conn: say(args.out, serve(c, ctx, args)),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())

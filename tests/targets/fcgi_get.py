# A FastCGI GET, as a web server sends one to php-fpm, for the PHP tests.
#
#   python3 fcgi_get.py SOCKET SCRIPT_FILENAME [QUERY_STRING]
#
# Writes the response's stdout to ours and exits 0 when the request ended.
import socket
import struct
import sys

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def record(kind, body, request_id=1):
    return struct.pack(">BBHHBx", 1, kind, request_id, len(body), 0) + body


def name_value(name, value):
    def length(b):
        return bytes([len(b)]) if len(b) < 128 else struct.pack(">I", len(b) | 1 << 31)
    n, v = name.encode(), value.encode()
    return length(n) + length(v) + n + v


def main():
    sock_path, script = sys.argv[1], sys.argv[2]
    query = sys.argv[3] if len(sys.argv) > 3 else ""
    params = b"".join(name_value(k, v) for k, v in {
        "SCRIPT_FILENAME": script, "SCRIPT_NAME": script, "REQUEST_METHOD": "GET",
        "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
    }.items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0)) +
              record(FCGI_PARAMS, params) + record(FCGI_PARAMS, b"") + record(FCGI_STDIN, b""))
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    out = b""
    while len(data) >= 8:
        _, kind, _, length, padding = struct.unpack(">BBHHBx", data[:8])
        if kind == FCGI_STDOUT:
            out += data[8:8 + length]
        if kind == FCGI_END_REQUEST:
            sys.stdout.buffer.write(out)
            return 0
        data = data[8 + length + padding:]
    return 1


sys.exit(main())

/**
 * The Python starters: each document's program in outline, its socket calls left as TODOs that
 * name the call. A server takes its port, a client its host and port, as plain arguments.
 */

const todo = (call: string, hint: string) =>
  `    # TODO ${call}: ${hint}\n    raise NotImplementedError("TODO: ${call}")`;

const server = (exercise: string, doc: string, port: number, body: string) =>
  `# A starter for the ${exercise} exercise (${doc}). Complete each TODO, then check it:
#   deno task grade ${exercise} -- python3 my_server.py {port}
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else ${port}


def main():
${body}


if __name__ == "__main__":
    main()
`;

const client = (exercise: string, doc: string, port: number, body: string, extra = "") =>
  `# A starter for the ${exercise} exercise (${doc}). Complete each TODO, then check it:
#   deno task grade ${exercise} -- python3 my_client.py {host} {port}${extra}
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else ${port}


def main():
${body}


if __name__ == "__main__":
    main()
`;

const tcpServe = (what: string) =>
  [
    todo(
      "socket() and bind()",
      'socket.socket(socket.AF_INET, socket.SOCK_STREAM), bind(("127.0.0.1", PORT))',
    ),
    todo("listen()", "a backlog of 16 or more; then, forever:"),
    todo("accept()", "conn, addr = sock.accept(), and serve conn in its own thread"),
    todo("recv()", `${what}`),
    todo("sendall() and close()", "send every byte of the answer, then close conn"),
  ].join("\n");

/** The Python starter of each exercise. */
export const PY_STARTERS: Record<string, string> = {
  "udp-server": server(
    "udp-server",
    "UDPServer.py",
    12000,
    [
      todo(
        "socket() and bind()",
        'socket.socket(socket.AF_INET, socket.SOCK_DGRAM), bind(("127.0.0.1", PORT))',
      ),
      todo("recvfrom()", "message, address = sock.recvfrom(65535), forever"),
      todo("sendto()", "sock.sendto(message.upper(), address): bytes.upper() changes only a to z"),
    ].join("\n"),
  ),
  "udp-client": client(
    "udp-client",
    "UDPClient.py",
    12000,
    [
      todo("socket()", "socket.socket(socket.AF_INET, socket.SOCK_DGRAM); for each line of stdin:"),
      todo("sendto()", "sock.sendto(line.encode(), (HOST, PORT))"),
      todo("settimeout() and recvfrom()", "wait 1 s; on socket.timeout send again (3 tries)"),
      todo("print()", 'print("Returned from server:", reply.decode())'),
    ].join("\n"),
  ),
  "tcp-server": server(
    "tcp-server",
    "TCPServer.py",
    12000,
    tcpServe(
      "read until recv() returns b'' (the client's half-close) or a newline; upper-case the bytes",
    ),
  ),
  "tcp-client": client(
    "tcp-client",
    "TCPClient.py",
    12000,
    [
      todo(
        "socket() and connect()",
        "socket.create_connection((HOST, PORT)); the line comes on stdin",
      ),
      todo("sendall() and shutdown(SHUT_WR)", "send the line, then say it is all"),
      todo("recv() until b''", "the reply may come in pieces"),
      todo("print()", 'print("From Server:", reply.decode())'),
    ].join("\n"),
  ),
  "echo-server": server(
    "echo-server",
    "the UW echo exercise",
    10000,
    tcpServe("send back each piece as it arrives, until recv() returns b''"),
  ),
  "echo-client": client(
    "echo-client",
    "the UW echo exercise",
    10000,
    [
      '    message = sys.argv[3] if len(sys.argv) > 3 else "short message"',
      todo("socket() and connect()", "socket.create_connection((HOST, PORT))"),
      todo("sendall() and shutdown(SHUT_WR)", "send the message, then say it is all"),
      todo("recv(16) until b''", "never stop at a short read"),
      todo("print()", "print the whole echo, decoded"),
    ].join("\n"),
    " {message}",
  ),
  "fixed-length-server": server(
    "fixed-length-server",
    "the slides' recv_all server",
    1060,
    [
      todo("socket(), bind() and listen()", '("127.0.0.1", PORT), then accept() forever'),
      todo("recv_all(conn, 16)", "loop until 16 bytes are in; an early b'' is that client's error"),
      todo("sendall() and close()", 'send b"Hello World!", then close'),
    ].join("\n"),
  ),
  "udp-length-server": server(
    "udp-length-server",
    "the slides' UDP server",
    1060,
    [
      todo("socket() and bind()", 'SOCK_DGRAM on ("127.0.0.1", PORT)'),
      todo("recvfrom()", "data, address = sock.recvfrom(65535), forever"),
      todo("sendto()", '"The msg was %d bytes long" % len(data), encoded, to address'),
    ].join("\n"),
  ),
  "http-server": server(
    "http-server",
    "simplehttpserver.py",
    8080,
    tcpServe(
      "read until the blank line (\\r\\n\\r\\n); GET and HEAD get 404 Not Found, others 501, with " +
        "Content-Length and Connection: close",
    ),
  ),
};

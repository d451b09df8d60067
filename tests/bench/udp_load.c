/* The UDP load for `deno task bench`, when a C compiler is there: keeps WINDOW 32-byte datagrams
 * in flight to 127.0.0.1:PORT for SECONDS and prints how many replies came back. A reply, or
 * 200 ms of silence (a loss), sends the next one. In C so that the load costs little CPU: a
 * Deno load client on the same two cores was slower than the servers it measured, and hid
 * their differences (every server then answered what the client could send).
 *
 *   cc -O2 -o udp_load tests/bench/udp_load.c && ./udp_load PORT WINDOW SECONDS
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) return fprintf(stderr, "usage: udp_load PORT WINDOW SECONDS\n"), 2;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  /* A connected UDP socket: send() and recv() need no address, and only the server's replies
     come in. */
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) < 0) return perror("udp_load"), 1;
  char payload[32], buf[2048];
  memset(payload, 'a', sizeof payload);
  long got = 0;
  double end = now() + atof(argv[3]);
  for (int i = 0; i < atoi(argv[2]); i++) send(s, payload, sizeof payload, 0);
  struct pollfd p = {.fd = s, .events = POLLIN};
  while (now() < end) {
    if (poll(&p, 1, 200) == 1 && recv(s, buf, sizeof buf, 0) >= 0) got++;
    send(s, payload, sizeof payload, 0); /* a reply, or a loss: keep the window full */
  }
  printf("%ld\n", got);
  close(s);
  return 0;
}

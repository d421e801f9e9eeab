/* netprobe (tests only). Input "<port>": the function tries to connect to that TCP port on the
 * host that serves its BaaS endpoint (the host part of $LUMOS_BAAS_ADDR) and answers
 * "reachable" or "unreachable". Input "redis-config": it logs in to its BaaS Redis with
 * $LUMOS_BAAS_PASSWORD and sends CONFIG SET maxmemory 1, answering "allowed" or "denied".
 * WASI has no sockets: there it always answers "unreachable". */
#include "lumos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __wasi__
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#ifndef __wasi__
/* Sends one RESP command and reads the first byte of its reply ('-' for an error). */
static int redis_command(int fd, const char *command) {
  if (write(fd, command, strlen(command)) != (ssize_t)strlen(command)) return -1;
  char reply[512];
  ssize_t n = read(fd, reply, sizeof reply);
  return n > 0 ? reply[0] : -1;
}
#endif

int lumos_handle(lumos_ctx *ctx, const uint8_t *input, size_t input_len) {
  const char *answer = "unreachable\n";
#ifndef __wasi__
  const int config = input_len == 12 && memcmp(input, "redis-config", 12) == 0;
  char port_text[16] = {0};
  memcpy(port_text, input, input_len < sizeof port_text - 1 ? input_len : sizeof port_text - 1);
  char host[64] = {0};
  const char *addr = getenv("LUMOS_BAAS_ADDR");
  if (!addr) return lumos_fail(ctx, "LUMOS_BAAS_ADDR is not set");
  const char *colon = strrchr(addr, ':');
  size_t host_len = colon ? (size_t)(colon - addr) : strlen(addr);
  if (host_len >= sizeof host) return lumos_fail(ctx, "LUMOS_BAAS_ADDR is too long");
  memcpy(host, addr, host_len);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)atoi(config ? colon + 1 : port_text));
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return lumos_fail(ctx, "LUMOS_BAAS_ADDR has no IPv4 host");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return lumos_fail(ctx, "socket() failed");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) answer = "reachable\n";
  if (config) {
    char auth[256];
    const char *password = getenv("LUMOS_BAAS_PASSWORD");
    if (!password) password = "";
    snprintf(auth, sizeof auth, "*2\r\n$4\r\nAUTH\r\n$%zu\r\n%s\r\n", strlen(password), password);
    if (*password) redis_command(fd, auth);
    int first = redis_command(fd, "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$9\r\nmaxmemory\r\n$1\r\n1\r\n");
    answer = first == '+' ? "allowed\n" : "denied\n";
  }
  close(fd);
#else
  (void)input;
  (void)input_len;
#endif
  lumos_write(ctx, (const uint8_t *)answer, strlen(answer));
  return 0;
}

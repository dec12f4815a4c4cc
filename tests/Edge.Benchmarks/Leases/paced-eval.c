/*
 * The machine's floor for a paced Redis round trip, without .NET: one connection, an empty script
 * (EVAL "return 1" 0) sent at start + i / rate, the next one waiting for the answer, sleeping in between
 * with clock_nanosleep. Prints p50/p99/p99.9/max of send-to-answer in ms and how late the sends were.
 * Built and run by the lease benchmark (LeaseBenchmark.cs) when a C compiler is present:
 *   cc -O2 -o paced-eval paced-eval.c && ./paced-eval 127.0.0.1 6379 2000 10
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

static double at(const long long *sorted, long n, double p) {
  long i = (long)(p * n);
  return sorted[i < n ? i : n - 1] / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s host port rate seconds\n", argv[0]);
    return 2;
  }
  int rate = atoi(argv[3]), seconds = atoi(argv[4]);
  long total = (long)rate * seconds;
  if (rate <= 0 || seconds <= 0 || total > 10000000) {
    fprintf(stderr, "rate and seconds must be positive (at most 10,000,000 calls)\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (fd < 0 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("connect");
    return 1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  static const char command[] = "*3\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n";
  long long *service = malloc(sizeof(long long) * total), *late = malloc(sizeof(long long) * total);
  long long period = 1000000000LL / rate, start = now_ns() + 10000000LL;
  char reply[64];
  for (long i = 0; i < total; i++) {
    long long due = start + i * period;
    struct timespec t = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0) {
    }
    long long sent = now_ns();
    late[i] = sent - due;
    if (write(fd, command, sizeof command - 1) != (ssize_t)(sizeof command - 1)) {
      perror("write");
      return 1;
    }
    size_t have = 0;
    while (have < 4 || reply[have - 1] != '\n') { /* ":1\r\n" */
      ssize_t n = read(fd, reply + have, sizeof reply - have);
      if (n <= 0 || (have += (size_t)n) >= sizeof reply) {
        fprintf(stderr, "bad or no reply\n");
        return 1;
      }
    }
    if (reply[0] != ':') {
      fprintf(stderr, "unexpected reply: %.*s\n", (int)have, reply);
      return 1;
    }
    service[i] = now_ns() - sent;
  }
  qsort(service, total, sizeof *service, by_value);
  qsort(late, total, sizeof *late, by_value);
  printf("p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (sender late by p99 %.3f ms; %ld calls)\n",
         at(service, total, 0.50), at(service, total, 0.99), at(service, total, 0.999), service[total - 1] / 1e6,
         at(late, total, 0.99), total);
  return 0;
}

// Holds every packet that iptables hands to NFQUEUE for a delay (plus jitter) before accepting
// it: the userspace stand-in for netem's delay on kernels built without netem.
//
//   delay-queue QUEUE_NUM DELAY_MS JITTER_MS
//
// Packets leave in the order they came (a jittered release time is never earlier than the one
// before it), as on a real path whose queueing varies but does not reorder. Only metadata is
// copied to userspace: the verdict needs the packet id, not the payload. SIGTERM/SIGINT end it;
// the iptables rule uses --queue-bypass, so traffic flows undelayed once it is gone.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define HELD_MAX 65536

struct held {
  uint32_t id;
  int64_t release_us;
};

static struct held held[HELD_MAX];
static size_t head, count;
static int64_t delay_us, jitter_us, last_release_us;
static volatile sig_atomic_t stopping;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *msg, struct nfq_data *data, void *ctx) {
  (void)msg;
  (void)ctx;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
  if (header == NULL) return 0;
  uint32_t id = ntohl(header->packet_id);
  if (count == HELD_MAX) return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
  int64_t jitter = jitter_us > 0 ? (int64_t)(random() % (2 * jitter_us + 1)) - jitter_us : 0;
  int64_t release = now_us() + delay_us + jitter;
  if (release < last_release_us) release = last_release_us;
  last_release_us = release;
  held[(head + count) % HELD_MAX] = (struct held){id, release};
  count++;
  return 0;
}

static void release_due(struct nfq_q_handle *queue) {
  int64_t now = now_us();
  while (count > 0 && held[head].release_us <= now) {
    nfq_set_verdict(queue, held[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % HELD_MAX;
    count--;
  }
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s QUEUE_NUM DELAY_MS JITTER_MS\n", argv[0]);
    return 2;
  }
  int queue_num = atoi(argv[1]);
  delay_us = (int64_t)(atof(argv[2]) * 1000);
  jitter_us = (int64_t)(atof(argv[3]) * 1000);
  if (delay_us < 0 || jitter_us < 0 || jitter_us > delay_us) {
    fprintf(stderr, "delay and jitter must satisfy 0 <= jitter <= delay\n");
    return 2;
  }
  srandom((unsigned)now_us());
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  struct nfq_handle *handle = nfq_open();
  if (handle == NULL) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)queue_num, on_packet, NULL);
  if (queue == NULL) {
    perror("nfq_create_queue");
    return 1;
  }
  if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) {
    perror("nfq_set_mode");
    return 1;
  }
  nfq_set_queue_maxlen(queue, HELD_MAX);
  int fd = nfq_fd(handle);
  // A burst must not overflow the netlink socket while packets wait for their time.
  nfnl_rcvbufsiz(nfq_nfnlh(handle), 8 * 1024 * 1024);
  printf("ready\n");
  fflush(stdout);

  char buffer[4096] __attribute__((aligned));
  while (!stopping) {
    release_due(queue);
    int timeout_ms = 1;
    if (count == 0) timeout_ms = 100;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t received;
    while ((received = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) nfq_handle_packet(handle, buffer, (int)received);
  }
  while (count > 0) {
    nfq_set_verdict(queue, held[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % HELD_MAX;
    count--;
  }
  nfq_destroy_queue(queue);
  nfq_close(handle);
  return 0;
}

#define _GNU_SOURCE
#include "CReconShim.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

int recon_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int recon_epoll_add_out(int epfd, int fd, uint64_t token) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLOUT | EPOLLONESHOT;
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int recon_epoll_wait(int epfd, uint64_t *tokens, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) tokens[i] = evs[i].data.u64;
    return n;
}

int recon_epoll_wait_ns(int epfd, uint64_t *tokens, int max, int64_t timeout_ns) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    if (timeout_ns < 0) timeout_ns = 0;
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    int n = epoll_pwait2(epfd, evs, max, &ts, NULL);
    if (n < 0 && errno == ENOSYS) n = epoll_wait(epfd, evs, max, (int)((timeout_ns + 999999) / 1000000));
    for (int i = 0; i < n; i++) tokens[i] = evs[i].data.u64;
    return n;
}

int recon_start_connect(const struct sockaddr *addr, socklen_t len, int *out_fd, int *immediate) {
    *out_fd = -1;
    *immediate = 0;
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return errno;
    if (connect(fd, addr, len) == 0) {
        *immediate = 1;
    } else if (errno != EINPROGRESS) {
        int err = errno;
        close(fd);
        return err;
    }
    *out_fd = fd;
    return 0;
}

int recon_socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
    return err;
}

int recon_connect_peer(int fd) {
    struct sockaddr_storage local, remote;
    socklen_t ll = sizeof local, rl = sizeof remote;
    if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0) return -1;
    if (getpeername(fd, (struct sockaddr *)&remote, &rl) < 0) return -1;
    if (local.ss_family != remote.ss_family) return 0;
    if (local.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&local, *b = (struct sockaddr_in *)&remote;
        if (a->sin_addr.s_addr != b->sin_addr.s_addr) return 0;
        return a->sin_port == b->sin_port ? 2 : 1;
    }
    if (local.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&local, *b = (struct sockaddr_in6 *)&remote;
        if (memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) != 0) return 0;
        return a->sin6_port == b->sin6_port ? 2 : 1;
    }
    return 0;
}

/* One NETLINK_SOCK_DIAG request for TCP listeners: exact (the listener a SYN to `addr`:`port`
 * arriving on lo would reach, looked up in the kernel's hash tables) or a dump of every listener
 * of `family` on `port`, whatever its address or device. Returns 1 found, 0 none, -errno. */
static int diag_listener(int nl, uint32_t seq, int family, const void *addr, uint16_t port_be, int dump) {
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
    req.nh.nlmsg_seq = seq;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = 1u << TCP_LISTEN;
    req.r.id.idiag_sport = port_be;
    req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    if (!dump) {
        /* Remote side 0:0 matches no connection, so the lookup falls through to the listeners;
         * interface 1 is lo in every namespace, where packets to local addresses arrive. */
        memcpy(req.r.id.idiag_src, addr, family == AF_INET ? 4 : 16);
        req.r.id.idiag_if = 1;
    }
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do sent = sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) return -errno;
    int found = 0;
    long buffer[2048]; /* 16 KiB, aligned for nlmsghdr */
    for (;;) {
        ssize_t n = recv(nl, buffer, sizeof buffer, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq) continue; /* a reply to an earlier, abandoned request */
            if (h->nlmsg_type == NLMSG_DONE) return found;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                if (e->error == 0 || e->error == -ENOENT) return found;
                return e->error;
            }
            if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
                found = 1;
                if (!dump) return 1;
            }
        }
    }
}

int recon_listener_exists(int *netlink, const struct sockaddr *target) {
    static _Thread_local uint32_t seq;
    if (*netlink < 0) {
        *netlink = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (*netlink < 0) return -errno;
    }
    int family = target->sa_family;
    const void *addr;
    uint16_t port_be;
    if (family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)target;
        addr = &in->sin_addr;
        port_be = in->sin_port;
    } else if (family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)target;
        addr = &in6->sin6_addr;
        port_be = in6->sin6_port;
    } else {
        return -EAFNOSUPPORT;
    }
    /* Fast path: the listener that would take the connect. For IPv4 this also finds a
     * dual-stack [::] listener, as the kernel's own lookup does. */
    int found = diag_listener(*netlink, ++seq, family, addr, port_be, 0);
    if (found != 0) return found;
    /* None there: before calling the connect a phantom, look for any listener on the port, of
     * either family, on any address or device. The kernel never hands out a port with a bound
     * listener as a source port, so any listener at all makes a simultaneous open impossible. */
    found = diag_listener(*netlink, ++seq, AF_INET, NULL, port_be, 1);
    if (found != 0) return found;
    return diag_listener(*netlink, ++seq, AF_INET6, NULL, port_be, 1);
}

void recon_close_reset(int fd) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static volatile sig_atomic_t stop_signal = 0;

static void on_stop(int signo) { stop_signal = signo; }

void recon_install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A parent may have started us with them blocked (Swift's test runner does). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int recon_stop_signal(void) { return stop_signal; }

/* The one line a fatal signal prints instead of a crash report: only async-signal-safe calls. */
static void on_fatal(int signo) {
    const char *name = signo == SIGSEGV ? "SIGSEGV" : signo == SIGBUS ? "SIGBUS" : signo == SIGILL ? "SIGILL"
                     : signo == SIGTRAP ? "SIGTRAP" : signo == SIGFPE ? "SIGFPE" : "SIGABRT";
    static const char head[] = "recon: internal failure (";
    static const char tail[] = "): out of memory or threads, or a bug; output so far is kept, the report is "
                               "incomplete (set SWIFT_BACKTRACE=enable=yes for a backtrace)\n";
    ssize_t ignored = write(2, head, sizeof head - 1);
    ignored = write(2, name, strlen(name));
    ignored = write(2, tail, sizeof tail - 1);
    (void)ignored;
    _exit(70);
}

void recon_install_fatal_handlers(void) {
    static char alternate_stack[64 * 1024];
    stack_t stack;
    memset(&stack, 0, sizeof stack);
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof alternate_stack;
    sigaltstack(&stack, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &sa, NULL);
        sigaddset(&set, signals[i]);
    }
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int recon_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

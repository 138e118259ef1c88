#define _GNU_SOURCE
#include "CReconShim.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
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

int recon_is_self_connect(int fd) {
    struct sockaddr_storage local, remote;
    socklen_t ll = sizeof local, rl = sizeof remote;
    if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0) return 0;
    if (getpeername(fd, (struct sockaddr *)&remote, &rl) < 0) return 0;
    if (local.ss_family != remote.ss_family) return 0;
    if (local.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&local, *b = (struct sockaddr_in *)&remote;
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (local.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&local, *b = (struct sockaddr_in6 *)&remote;
        return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
    }
    return 0;
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

// Thin C wrappers over Linux system calls that Swift's Glibc module does not
// expose well: epoll (packed struct, union), signal flags, and the few socket
// calls of the connect hot path. No scanning logic lives here.
#ifndef RECON_SHIM_H
#define RECON_SHIM_H

#include <spawn.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/// Creates an epoll instance (close-on-exec). Returns fd or -1 (errno set).
int recon_epoll_create(void);
/// Registers fd for one-shot writability/error/hangup with an opaque token.
int recon_epoll_add_out(int epfd, int fd, uint64_t token);
/// Waits for events; fills tokens[i] with the ready sockets' tokens. Returns count, 0 or -1.
int recon_epoll_wait(int epfd, uint64_t *tokens, int max, int timeout_ms);

/// As recon_epoll_wait, with a timeout in nanoseconds (epoll_pwait2; epoll_wait in whole
/// milliseconds where the kernel lacks it).
int recon_epoll_wait_ns(int epfd, uint64_t *tokens, int max, int64_t timeout_ns);

/// Opens a non-blocking TCP socket for the address family and starts a connect.
/// Returns 0 with *out_fd set when the connect is under way (or done), or an
/// errno value (no fd left open) when socket() or connect() failed at once.
/// *immediate is set to 1 if connect() completed synchronously.
int recon_start_connect(const struct sockaddr *addr, socklen_t len, int *out_fd, int *immediate);
/// Reads and clears SO_ERROR. Returns the pending errno (0 = connected).
int recon_socket_error(int fd);
/// Where a connected socket's peer is: 2 = its own address and port (TCP self-connect),
/// 1 = its own address, another port (the target is on this host), 0 = another address,
/// -1 = not connected (getpeername failed).
int recon_connect_peer(int fd);
/// Whether a TCP listener on this host (network namespace) could have accepted a connect to
/// `target` (sockaddr_in or sockaddr_in6 with the port set): 1 yes, 0 no, or -errno when
/// it cannot be told. Asks the kernel over NETLINK_SOCK_DIAG: first the listener a SYN to
/// the target would reach, then, only if there is none, any listener on the port at all.
/// `*netlink` holds the netlink socket, opened on first use (pass -1); the caller closes it.
int recon_listener_exists(int *netlink, const struct sockaddr *target);
/// Closes with SO_LINGER {1,0}: an RST, no TIME_WAIT.
void recon_close_reset(int fd);

/// Installs SIGINT/SIGTERM handlers that only record the signal number.
void recon_install_stop_handlers(void);
/// The signal that asked to stop (SIGINT/SIGTERM), or 0.
int recon_stop_signal(void);

/// Turns a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT: out of memory,
/// a thread that could not be created, a failed runtime check) into one line on standard error
/// and exit status 70, instead of a crash report. The alternate signal stack is only for the
/// main thread; other threads' handlers run on their own stacks.
void recon_install_fatal_handlers(void);

/// Makes a posix_spawn child close every descriptor from `lowest` up (glibc's
/// posix_spawn_file_actions_addclosefrom_np, which needs _GNU_SOURCE to be seen).
int recon_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif

// Operating-system calls Swift cannot make directly (variadic or struct-heavy C APIs).
#ifndef CSYSTEM_H
#define CSYSTEM_H

#ifdef __cplusplus
extern "C" {
#endif

/// Asks the kernel to SIGKILL this process when its parent exits (Linux; elsewhere a no-op that
/// returns 0). Returns 1 when the parent is still `expected_parent`, 0 when it has already gone,
/// -1 when the request failed.
int csys_die_with_parent(int expected_parent);

/// A TCP port on which nothing listens at the moment of the call (the kernel's choice for port 0),
/// or -1 with errno set.
int csys_free_tcp_port(void);

#ifdef __cplusplus
}
#endif

#endif

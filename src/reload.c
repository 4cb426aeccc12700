#include "reload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "thread.h"

#define BYTE_RELOAD 'h'
#define BYTE_STOP 'q'

/* The pipe is made once and kept for the life of the process: closing it
 * while a signal handler on another thread is about to write would let
 * that write land in whatever file reuses the descriptor number. */
static int wake_pipe[2] = {-1, -1};
static atomic_int wake_fd = -1; /* the write end, as the handler sees it */

static struct sigaction previous;
static pthread_t control;
static int (*reload_cb)(void);

/* The handler: one byte into the pipe, then the handler that was there
 * before us, so that an application's own SIGHUP logic keeps working. */
static void on_sighup(int sig, siginfo_t *info, void *uctx)
{
    int saved = errno;
    int fd = atomic_load_explicit(&wake_fd, memory_order_relaxed);
    if (fd >= 0) {
        char b = BYTE_RELOAD;
        ssize_t n = write(fd, &b, 1); /* EAGAIN: a reload is pending anyway */
        (void)n;
    }
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != NULL)
            previous.sa_sigaction(sig, info, uctx);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
               previous.sa_handler != NULL) {
        previous.sa_handler(sig);
    }
    errno = saved;
}

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static bool thread_running;
static bool handler_installed;

/* A forked child shares the parent's pipe but not its control thread: a
 * SIGHUP to the child would make the parent reload. The child gets a pipe
 * of its own and no thread; its next metalog_init starts one. */
static void after_fork_child(void)
{
    pthread_mutex_init(&state_lock, NULL);
    thread_running = false;
    int old[2] = {wake_pipe[0], wake_pipe[1]};
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
        atomic_store(&wake_fd, wake_pipe[1]);
        close(old[0]);
        close(old[1]);
    } else {
        atomic_store(&wake_fd, -1);
    }
}

static int pipe_make(void)
{
    if (wake_pipe[0] >= 0)
        return 0;
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    atomic_store(&wake_fd, wake_pipe[1]);
    pthread_atfork(NULL, NULL, after_fork_child);
    return 0;
}

/* Reads everything that is in the pipe: any number of reload requests
 * since the last read become one reload. Returns the strongest request. */
static char pipe_drain(void)
{
    char buf[64], want = 0;
    ssize_t n;
    while ((n = read(wake_pipe[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (want != BYTE_STOP)
                want = buf[i];
    }
    return want;
}

static void *control_main(void *arg)
{
    (void)arg;
    /* Signals go to application threads, never to this one, so that the
     * handler cannot interrupt a reload in progress on its own thread. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        char want = pipe_drain();
        if (want == BYTE_STOP)
            break;
        if (want == BYTE_RELOAD)
            reload_cb();
    }
    return NULL;
}

static int control_start(void)
{
    if (pipe_make() != 0) {
        error_setf("cannot create the SIGHUP pipe: %s", strerror(errno));
        return -1;
    }
    pipe_drain(); /* stale bytes from before a previous stop */
    int rc = thread_start(&control, "metalog-reload", control_main, NULL);
    if (rc != 0) {
        error_setf("cannot start the reload thread: %s", strerror(rc));
        return -1;
    }
    thread_running = true;
    return 0;
}

static void handler_install(void)
{
    /* Read the old action before installing ours: the handler may run the
     * moment ours is in place, and must then find "previous" complete. */
    sigaction(SIGHUP, NULL, &previous);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sighup;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    handler_installed = true;
}

static void handler_remove(void)
{
    /* Put the old action back only if ours is still the one installed: an
     * application that installed its own handler after us keeps it. */
    struct sigaction cur;
    if (sigaction(SIGHUP, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
        cur.sa_sigaction == on_sighup)
        sigaction(SIGHUP, &previous, NULL);
    handler_installed = false;
}

int reload_signal_enable(bool on, int (*reload_fn)(void))
{
    int rc = 0;
    pthread_mutex_lock(&state_lock);
    reload_cb = reload_fn;
    if (on && !thread_running)
        rc = control_start();
    if (rc == 0 && on && !handler_installed)
        handler_install();
    else if (!on && handler_installed)
        handler_remove();
    pthread_mutex_unlock(&state_lock);
    return rc;
}

void reload_signal_stop(void)
{
    pthread_mutex_lock(&state_lock);
    if (handler_installed)
        handler_remove();
    bool join = thread_running;
    pthread_t thread = control;
    if (join) {
        char b = BYTE_STOP;
        while (write(wake_pipe[1], &b, 1) < 0) {
            if (errno != EINTR && errno != EAGAIN)
                break;
            if (errno == EAGAIN) /* the pipe is full of reload requests */
                poll(NULL, 0, 1);
        }
    }
    thread_running = false;
    pthread_mutex_unlock(&state_lock);
    /* Joined outside the lock: a reload in progress on the control thread
     * may itself be waiting for the lock to switch SIGHUP on or off. */
    if (join)
        pthread_join(thread, NULL);
}


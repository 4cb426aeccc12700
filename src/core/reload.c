#include "core/reload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/thread.h"

#define BYTE_RELOAD 'h'
#define BYTE_STOP 'q'

/* One control thread and its pipe. Made at each start and closed at
 * each stop, so that a shutdown leaves no descriptor behind. A stop that
 * finds the thread stuck in a reload (a config on a hung network mount)
 * does not wait for it: the thread is abandoned, and whichever of the
 * two comes last (the stop, or the thread's exit) closes and frees. */
typedef struct control {
    pthread_t thread;
    int pipe[2];
    atomic_int state; /* CONTROL_RUNNING, then EXITED or ABANDONED */
    atomic_bool stop; /* the byte only wakes the thread: the pipe may be full */
} control;

enum { CONTROL_RUNNING, CONTROL_EXITED, CONTROL_ABANDONED };

/* How long a stop waits for a reload in progress to finish. */
#define CONTROL_STOP_WAIT_MS 1000

static atomic_int wake_fd = -1; /* the write end, as the handler sees it */
/* Handlers between their read of wake_fd and the end of their write: the
 * pipe is closed only when none is, so that a handler's write never lands
 * in a file that reuses the descriptor's number. */
static atomic_int in_handler;

static struct sigaction previous;
static int (*reload_cb)(void);

/* The handler: one byte into the pipe, then the handler that was there
 * before us, so that an application's own SIGHUP logic keeps working. */
static void on_sighup(int sig, siginfo_t *info, void *uctx)
{
    int saved = errno;
    atomic_fetch_add(&in_handler, 1);
    int fd = atomic_load(&wake_fd);
    if (fd >= 0) {
        char b = BYTE_RELOAD;
        ssize_t n = write(fd, &b, 1); /* EAGAIN: a reload is pending anyway */
        (void)n;
    }
    atomic_fetch_sub(&in_handler, 1);
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
static control *running; /* under state_lock */
static bool handler_installed;

static void control_free(control *c)
{
    close(c->pipe[0]);
    close(c->pipe[1]);
    free(c);
}

/* Takes the pipe away from the handler, then waits out any handler still
 * writing to it. The sequentially consistent pair (in_handler, wake_fd)
 * means a handler either sees -1 or is counted before we look. */
static void wake_fd_retire(void)
{
    atomic_store(&wake_fd, -1);
    while (atomic_load(&in_handler) != 0)
        sched_yield();
}

/* A forked child shares the parent's pipe but not its control thread: it
 * closes its copy and has no thread; its next metalog_init starts one. */
void reload_fork_child(void)
{
    pthread_mutex_init(&state_lock, NULL);
    atomic_store(&wake_fd, -1);
    atomic_store(&in_handler, 0);
    if (running != NULL) {
        control_free(running);
        running = NULL;
    }
}

/* Reads everything that is in the pipe: any number of reload requests
 * since the last read become one reload. Returns the strongest request. */
static char pipe_drain(int fd)
{
    char buf[64], want = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (want != BYTE_STOP)
                want = buf[i];
    }
    return want;
}

static void *control_main(void *arg)
{
    control *c = arg;
    /* Signals go to application threads, never to this one, so that the
     * handler cannot interrupt a reload in progress on its own thread. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct pollfd p = {.fd = c->pipe[0], .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        char want = pipe_drain(c->pipe[0]);
        if (want == BYTE_STOP || atomic_load(&c->stop))
            break;
        if (want == BYTE_RELOAD)
            reload_cb();
    }
    if (atomic_exchange(&c->state, CONTROL_EXITED) == CONTROL_ABANDONED) {
        pthread_detach(pthread_self());
        control_free(c);
    }
    return NULL;
}

static int control_start(void)
{
    control *c = calloc(1, sizeof *c);
    if (c == NULL) {
        error_set("cannot start the reload thread: out of memory");
        return -1;
    }
    if (pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        error_setf("cannot create the SIGHUP pipe: %s", strerror(errno));
        free(c);
        return -1;
    }
    atomic_init(&c->state, CONTROL_RUNNING);
    int rc = thread_start(&c->thread, "metalog-reload", control_main, c);
    if (rc != 0) {
        error_setf("cannot start the reload thread: %s", strerror(rc));
        control_free(c);
        return -1;
    }
    running = c;
    atomic_store(&wake_fd, c->pipe[1]);
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
    if (on && running == NULL)
        rc = control_start();
    if (rc == 0 && on && !handler_installed)
        handler_install();
    else if (!on && handler_installed)
        handler_remove();
    pthread_mutex_unlock(&state_lock);
    return rc;
}

/* Waits for c's thread until CONTROL_STOP_WAIT_MS have passed. */
static bool control_join(control *c)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CONTROL_STOP_WAIT_MS / 1000;
    until.tv_nsec += (CONTROL_STOP_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_timedjoin_np(c->thread, NULL, &until) == 0;
}

void reload_signal_stop(void)
{
    pthread_mutex_lock(&state_lock);
    if (handler_installed)
        handler_remove();
    control *c = running;
    running = NULL;
    if (c != NULL) {
        wake_fd_retire();
        atomic_store(&c->stop, true);
        char b = BYTE_STOP;
        /* A full pipe wakes the thread as well as the byte would. */
        while (write(c->pipe[1], &b, 1) < 0 && errno == EINTR)
            ;
    }
    pthread_mutex_unlock(&state_lock);
    if (c == NULL)
        return;
    /* Joined outside the lock: a reload in progress on the control thread
     * may itself be waiting for the lock to switch SIGHUP on or off. */
    if (control_join(c)) {
        control_free(c);
        return;
    }
    /* Stuck: the thread frees c when it comes back, unless it exited
     * between the timeout and now. */
    if (atomic_exchange(&c->state, CONTROL_ABANDONED) == CONTROL_EXITED) {
        pthread_join(c->thread, NULL);
        control_free(c);
    }
}

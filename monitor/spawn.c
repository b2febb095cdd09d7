/*
 * spawn: fork/exec helpers with a clean child state (see spawn.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"

static void spawn_child_reset(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_range(3, ~0U, 0);
}

pid_t spawn_fork(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0)
		spawn_child_reset();
	return pid;
}

void spawn_exec_shell(const char *cmd)
{
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

pid_t spawn_shell(const char *cmd)
{
	pid_t pid = spawn_fork();

	if (pid == 0)
		spawn_exec_shell(cmd);
	return pid;
}

int spawn_shell_wait(const char *cmd)
{
	pid_t pid = spawn_shell(cmd);
	int status;

	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int spawn_reap(void)
{
	int n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		n++;
	return n;
}

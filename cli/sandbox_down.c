/* eddy sandbox: down, stopping the components in reverse start order. */
#include "cli.h"
#include "sandbox.h"
#include "embedded.h"
#include "eddy/buf.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- down */

int sb_do_down(sandbox *sb, bool quiet)
{
	int stopped = 0;
	for (int i = C_N - 1; i >= 0; i--) {
		if (!sb_state_read(sb, i))
			continue;
		comp_state *c = &sb->c[i];
		if (sb_is_ours(c)) {
			if (!quiet)
				cli_action("stopping %s (pid %d)", sb_comp[i], (int)c->pid);
			sb_stop_comp(c, STOP_GRACE_MS);
			stopped++;
		}
		if (sb_alive(c->pid) && sb_is_ours(c)) {
			cli_failure("%s (pid %d) did not stop; kill it with: kill -9 %d", sb_comp[i],
				(int)c->pid, (int)c->pid);
			return 1;
		}
		sb_state_remove(sb, i);
	}
	/* nothing of ours may still listen */
	for (int i = 0; i < C_N; i++) {
		comp_state *c = &sb->c[i];
		int ports[3] = {c->port, c->health, c->metrics};
		for (int j = 0; j < 3; j++)
			if (ports[j] > 0 && sb_port_open(ports[j]))
				fprintf(stderr, "! port %d of %s still answers; another process "
					"may have taken it (ss -ltnp 'sport = :%d')\n", ports[j],
					sb_comp[i], ports[j]);
	}
	if (!quiet) {
		if (stopped)
			cli_success("sandbox stopped; its state stays in %s (remove it to start "
				    "over)", sb->dir);
		else
			cli_success("no sandbox running in %s", sb->dir);
	}
	return 0;
}

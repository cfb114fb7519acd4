/* SPDX-License-Identifier: MIT */
/* The write path all sinks share: whole lines, errors remembered. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sink.h"

int sink_write_out(struct sink *s)
{
	off_t start;
	size_t done = 0;

	if (s->err)
		return FP_EIO;
	if (s->out.oom) {
		s->err = ENOMEM;
		return FP_EIO;
	}
	start = lseek(s->fd, 0, SEEK_CUR);
	while (done < s->out.len) {
		ssize_t n = write(s->fd, s->out.p + done, s->out.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? errno : EIO;
			if (done && start >= 0) {
				/* Keep whole lines only: cut after the last newline written. */
				size_t keep = done;

				while (keep && s->out.p[keep - 1] != '\n')
					keep--;
				if (ftruncate(s->fd, start + (off_t)keep) == 0)
					lseek(s->fd, start + (off_t)keep, SEEK_SET);
			}
			return FP_EIO;
		}
		done += (size_t)n;
	}
	jbuf_reset(&s->out);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The write path all sinks share: whole lines, errors remembered. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sink.h"

int sink_write_out(struct sink *s)
{
	size_t done = 0;

	if (s->err)
		return FP_EIO;
	if (s->out.oom) {
		s->err = ENOMEM;
		return FP_EIO;
	}
	while (done < s->out.len) {
		ssize_t n = write(s->fd, s->out.p + done, s->out.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? errno : EIO;
			/* Keep whole lines only: cut after the last newline written.
			 * The offset is taken after the writes, so O_APPEND works. */
			off_t end = done ? lseek(s->fd, 0, SEEK_CUR) : -1;
			off_t start = end - (off_t)done;

			if (end >= 0 && start >= 0) {
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

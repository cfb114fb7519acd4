/* SPDX-License-Identifier: MIT */
/*
 * Store handles of `fastport serve` opened before the privilege drop: the
 * unprivileged HTTP process (privsep.c) runs as another user that may not
 * reach the store's files by name (a 0700 directory of root's), so it
 * keeps handles opened while it still could, one per scan worker, and
 * lends them out. Without a pool every scan opens its own handle.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "serve/serve.h"
#include "store/store.h"

struct serve_store_pool {
	pthread_mutex_t lock;
	struct store **free;   /* handles not lent out */
	size_t nfree, n;
	struct store **all;
};

int serve_store_pool_open(struct serve *sv, unsigned n, char *err, size_t errlen)
{
	struct serve_store_pool *p;

	if (!sv->store_url)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->free = calloc(n, sizeof(*p->free))) || !(p->all = calloc(n, sizeof(*p->all)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&p->lock, NULL);
	for (; p->n < n; p->n++) {
		if (store_open(sv->store_url, STORE_OPEN_CREATE, &p->all[p->n], err, errlen) < 0)
			goto fail;
		p->free[p->nfree++] = p->all[p->n];
	}
	sv->pool = p;
	return 0;
fail:
	if (p) {
		for (size_t i = 0; i < p->n; i++)
			store_close(p->all[i]);
		free(p->free);
		free(p->all);
		free(p);
	}
	return -1;
}

void serve_store_pool_close(struct serve *sv)
{
	struct serve_store_pool *p = sv->pool;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		store_close(p->all[i]);
	pthread_mutex_destroy(&p->lock);
	free(p->free);
	free(p->all);
	free(p);
	sv->pool = NULL;
}

int serve_store_acquire(struct serve *sv, struct store **out, char *err, size_t errlen)
{
	struct serve_store_pool *p = sv->pool;

	if (!p)
		return store_open(sv->store_url, STORE_OPEN_CREATE, out, err, errlen);
	pthread_mutex_lock(&p->lock);
	*out = p->nfree ? p->free[--p->nfree] : NULL;
	pthread_mutex_unlock(&p->lock);
	if (!*out) {
		/* One handle per worker: only a caller outside the workers finds none. */
		snprintf(err, errlen, "no store handle free (the store's files are not reachable "
			 "by name after the privilege drop)");
		return -1;
	}
	return 0;
}

void serve_store_release(struct serve *sv, struct store *st)
{
	struct serve_store_pool *p = sv->pool;

	if (!p) {
		store_close(st);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->free[p->nfree++] = st;
	pthread_mutex_unlock(&p->lock);
}

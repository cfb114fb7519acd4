/* SPDX-License-Identifier: MIT */
/*
 * The backend of `fastport mcp` over libcurl: HTTP(S) requests to serve
 * with the bearer token, on one handle (one kept-alive connection). No
 * redirects are followed and no proxy is used, so the token goes to the
 * configured URL and nowhere else; answers are handed to the caller's
 * bounded readers as they arrive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mcp/http.h"

struct mcp_http {
	CURL *h;
	char *base;                  /* the URL without a trailing '/' */
	struct curl_slist *get_hdrs, *post_hdrs;
	char errbuf[CURL_ERROR_SIZE];
};

struct xfer {
	mcp_body_fn *fn;
	void *arg;
	bool stopped;                /* fn asked to stop: not an error */
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (x->stopped || !x->fn(x->arg, p, n)) {
		x->stopped = true;
		return n ? 0 : 1; /* anything but n aborts the transfer */
	}
	return n;
}

static int http_request(void *ctx, const char *method, const char *path, const char *body,
			mcp_body_fn *fn, void *arg, long *status, char *err, size_t errlen)
{
	struct mcp_http *c = ctx;
	struct xfer x = { .fn = fn, .arg = arg };
	char *url;
	CURLcode rc;
	int ret = -1;

	*status = 0;
	if (asprintf(&url, "%s%s", c->base, path) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &x);
	if (body) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->post_hdrs);
	} else {
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->get_hdrs);
	}
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, strcmp(method, body ? "POST" : "GET") ? method : NULL);
	rc = curl_easy_perform(c->h);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x.stopped)) {
		snprintf(err, errlen, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status);
	ret = 0;
out:
	free(url);
	return ret;
}

static bool loopback_host(const char *h)
{
	return !strcmp(h, "localhost") || !strncmp(h, "127.", 4) || !strcmp(h, "[::1]") || !strcmp(h, "::1");
}

struct mcp_http *mcp_http_open(const char *url, const char *token, const char *cacert,
			       struct mcp_backend *be, char *err, size_t errlen)
{
	struct mcp_http *c = calloc(1, sizeof(*c));
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL, *hdr = NULL;
	size_t n;

	if (!c || !u) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "--url: '%s' is no URL", url);
		goto fail;
	}
	if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		snprintf(err, errlen, "--url: '%s' is neither http:// nor https://", url);
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(err, errlen, "--url: '%s' has a query or fragment; give serve's base URL", url);
		goto fail;
	}
	/* serve itself refuses plain HTTP beyond loopback; so do we, for the token's sake. */
	if (!strcmp(scheme, "http") && !loopback_host(host)) {
		snprintf(err, errlen, "--url: plain http:// is for loopback only (use https://)");
		goto fail;
	}
	c->base = strdup(url);
	if (!c->base)
		goto oom;
	n = strlen(c->base);
	while (n && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	c->h = curl_easy_init();
	if (!c->h)
		goto oom;
	if (token) {
		if (asprintf(&hdr, "Authorization: Bearer %s", token) < 0) {
			hdr = NULL;
			goto oom;
		}
		c->get_hdrs = curl_slist_append(NULL, hdr);
		c->post_hdrs = curl_slist_append(NULL, hdr);
		if (!c->get_hdrs || !c->post_hdrs)
			goto oom;
	}
	/* POST bodies are tasks, JSON documents. */
	c->post_hdrs = curl_slist_append(c->post_hdrs, "Content-Type: application/json");
	if (!c->post_hdrs)
		goto oom;
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->h, CURLOPT_PROXY, "");      /* no proxy from the environment */
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "fastport-mcp");
	if (cacert)
		curl_easy_setopt(c->h, CURLOPT_CAINFO, cacert);
	be->request = http_request;
	be->ctx = c;
	be->url = c->base;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	mcp_http_close(c);
	c = NULL;
out:
	free(hdr);
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return c;
}

void mcp_http_close(struct mcp_http *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->get_hdrs);
	curl_slist_free_all(c->post_hdrs);
	free(c->base);
	free(c);
}

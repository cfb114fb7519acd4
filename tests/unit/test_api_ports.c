/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the ports a range scan probes: the built-in defaults
 * apply to a run without ports only, so ports set after a first run are
 * exactly the ports of the next one. The scans are connect() scans of
 * 127.0.0.1 (loopback: answered at once, nothing leaves the host).
 */
#include "unit.h"

#include "engine/scanner.h"

#define DEFAULT_PORT_COUNT 20

struct seen {
	unsigned events;
	unsigned ports[4];
	unsigned nports;
};

static int on_event(const fp_event_t *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->kind != FP_EVENT_PORT_STATE)
		return 0;
	if (s->nports < ARRAY_SIZE(s->ports))
		s->ports[s->nports++] = ev->port;
	s->events++;
	return 0;
}

static fp_scanner_t *loopback_scanner(struct seen *seen)
{
	fp_config_t c;
	fp_scanner_t *s = NULL;
	char err[256] = "";

	fp_config_init(&c);
	c.connect = 1;
	c.allow_reserved = 1;
	c.retries = 0;
	c.wait_ms = 1000;
	c.telemetry_ms = 0;
	c.states = FP_STATES_ALL;
	c.on_event = on_event;
	c.userdata = seen;
	assert_int_equal(fp_scanner_new(&c, &s, err, sizeof(err)), 0);
	assert_int_equal(fp_scanner_add_targets(s, "127.0.0.1"), 0);
	return s;
}

/* One run: every probe reported (states all); returns the probes planned. */
static uint64_t run(fp_scanner_t *s, struct seen *seen)
{
	fp_stats_t st = { .struct_size = sizeof(st) };

	memset(seen, 0, sizeof(*seen));
	assert_int_equal(fp_scanner_run(s), 0);
	assert_int_equal(fp_scanner_stats(s, &st), 0);
	assert_int_equal(seen->events, st.planned);
	return st.planned;
}

static void test_defaults_then_set(void **state)
{
	struct seen seen;
	fp_scanner_t *s = loopback_scanner(&seen);

	(void)state;
	assert_int_equal(run(s, &seen), DEFAULT_PORT_COUNT);
	/* Ports set after a run without any: exactly those. */
	assert_int_equal(fp_scanner_set_ports(s, "9"), 0);
	assert_int_equal(run(s, &seen), 1);
	assert_int_equal(seen.ports[0], 9);
	/* Calls add up; the defaults never come back. */
	assert_int_equal(fp_scanner_set_ports(s, "7"), 0);
	assert_int_equal(run(s, &seen), 2);
	assert_int_equal(seen.ports[0] + seen.ports[1], 16);
	fp_scanner_free(s);
}

/* Ports set before the first run: those, run after run. */
static void test_set_first(void **state)
{
	struct seen seen;
	fp_scanner_t *s = loopback_scanner(&seen);

	(void)state;
	assert_int_equal(fp_scanner_set_ports(s, "13"), 0);
	assert_int_equal(run(s, &seen), 1);
	assert_int_equal(run(s, &seen), 1);
	assert_int_equal(seen.ports[0], 13);
	fp_scanner_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_then_set),
		cmocka_unit_test(test_set_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

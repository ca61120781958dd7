/*
 * link.c - link instances (paths, partitions, stats), the --link string
 * parser/formatter and the seed-derived options.  The per-packet physics
 * live in the models (ideal.c, parametric.c, ns3.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "nx_link.h"

#define E9 1000000000ull

struct nx_link {
	struct nx_sim *sim;
	struct nx_link_opts o;
	const struct nx_link_model *model;
	struct nx_rng rng;
	unsigned nodes;
	struct nx_link_path *paths; /* nodes * nodes, [src * nodes + dst] */
	unsigned cut_paths;         /* paths with cut set */
	/* The ideal model with nothing cut and no partition scheduled: a
	 * packet's fate is now + latency, decided without the model's
	 * call or the cut checks (nx_link_send's fast path). */
	bool plain;
	struct nx_link_stats st;
	void *state;                /* asynchronous models */
	struct nx_link_sink sink;
};

static void update_plain(struct nx_link *l)
{
	l->plain = l->model == &nx_link_model_ideal && l->cut_paths == 0 &&
		   l->o.partition_count == 0;
}

static const struct nx_link_model *model_of(enum nx_link_kind kind)
{
	switch (kind) {
	case NX_LINK_IDEAL:
		return &nx_link_model_ideal;
	case NX_LINK_NS3:
		return &nx_link_model_ns3;
	default:
		return &nx_link_model_parametric;
	}
}

/* ---- options ---------------------------------------------------------------- */

void nx_link_opts_ideal(struct nx_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = NX_LINK_IDEAL;
	o->latency_ns = 10000;
}

static void opts_parametric(struct nx_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = NX_LINK_PARAMETRIC;
	o->latency_ns = 50000;
	o->reorder_delay_ns = 200000;
}

/* ns-3 defaults: a 1 Gb/s full-duplex point-to-point link per host
 * pair, 50 us of propagation delay, Linux's txqueuelen (1000 packets,
 * drop tail), a 1500-byte MTU, no loss. */
static void opts_ns3(struct nx_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = NX_LINK_NS3;
	o->topo = NX_LINK_TOPO_P2P;
	o->latency_ns = 50000;
	o->bandwidth_bps = E9;
	o->queue_len = 1000;
	o->mtu = 1500;
}

void nx_link_opts_from_seed(struct nx_link_opts *o, struct nx_rng *rng)
{
	static const uint64_t bws[] = { 0, 1000000000ull, 10000000000ull,
					25000000000ull, 100000000000ull };

	opts_parametric(o);
	o->latency_ns = nx_rng_range(rng, 1000, 500000);
	o->jitter_ns = nx_rng_range(rng, 0, o->latency_ns);
	o->bandwidth_bps = bws[nx_rng_below(rng, NX_ARRAY_SIZE(bws))];
	o->loss_ppb = (uint32_t)nx_rng_range(rng, 0, E9 / 50);
	o->dup_ppb = (uint32_t)nx_rng_range(rng, 0, E9 / 200);
	o->reorder_ppb = (uint32_t)nx_rng_range(rng, 0, E9 / 50);
	o->reorder_delay_ns = nx_rng_range(rng, 1000, 1000000);
	if (nx_rng_chance(rng, 1, 4)) {
		o->partitions[0].at_ns = nx_rng_range(rng, 1000000, 500000000);
		o->partitions[0].duration_ns = nx_rng_range(rng, 1000000, 100000000);
		o->partition_count = 1;
	}
}

/* ---- parsing: fixed point, no floats ----------------------------------------- */

struct cursor {
	const char *p, *end;
};

/* Reads "123" or "1.25" as value * 1e9 split in integer and fraction. */
static int parse_decimal(struct cursor *c, uint64_t *ip, uint64_t *frac)
{
	uint64_t scale = E9 / 10;
	bool digits = false;

	*ip = 0;
	*frac = 0;
	for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
		if (*ip > (UINT64_MAX - 9) / 10)
			return NX_EINVAL;
		*ip = *ip * 10 + (uint64_t)(*c->p - '0');
		digits = true;
	}
	if (c->p < c->end && *c->p == '.') {
		for (c->p++; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
			*frac += (uint64_t)(*c->p - '0') * scale;
			scale /= 10;
			digits = true;
		}
	}
	return digits ? NX_OK : NX_EINVAL;
}

static bool suffix_is(const struct cursor *c, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(c->end - c->p) == n && memcmp(c->p, s, n) == 0;
}

/* ip.frac * mult, rejecting overflow. */
static int scale(uint64_t ip, uint64_t frac, uint64_t mult, uint64_t *out)
{
	if (mult != 0 && ip > UINT64_MAX / mult)
		return NX_EINVAL;
	*out = ip * mult + frac / 1000 * mult / (E9 / 1000);
	return *out < ip * mult ? NX_EINVAL : NX_OK;
}

static int parse_duration(struct cursor c, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", E9 },
	};
	uint64_t ip, frac;

	if (parse_decimal(&c, &ip, &frac) != NX_OK)
		return NX_EINVAL;
	for (unsigned i = 0; i < NX_ARRAY_SIZE(units); i++)
		if (suffix_is(&c, units[i].unit))
			return scale(ip, frac, units[i].mult, ns);
	return NX_EINVAL;
}

static int parse_prob(struct cursor c, uint32_t *ppb)
{
	uint64_t ip, frac, v;

	if (parse_decimal(&c, &ip, &frac) != NX_OK || ip > 100)
		return NX_EINVAL;
	v = ip * E9 + frac;
	if (suffix_is(&c, "%"))
		v /= 100;
	else if (!suffix_is(&c, ""))
		return NX_EINVAL;
	if (v > E9)
		return NX_EINVAL;
	*ppb = (uint32_t)v;
	return NX_OK;
}

static int parse_bandwidth(struct cursor c, uint64_t *bps)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1 }, { "K", 1000 }, { "M", 1000000 }, { "G", E9 },
		{ "T", 1000 * E9 },
	};
	uint64_t ip, frac;

	if (parse_decimal(&c, &ip, &frac) != NX_OK)
		return NX_EINVAL;
	if (c.end - c.p >= 3 && memcmp(c.end - 3, "bps", 3) == 0)
		c.end -= 3;
	for (unsigned i = 0; i < NX_ARRAY_SIZE(units); i++)
		if (suffix_is(&c, units[i].unit))
			return scale(ip, frac, units[i].mult, bps);
	return NX_EINVAL;
}

static int parse_partition(struct cursor c, struct nx_link_opts *o)
{
	const char *plus = memchr(c.p, '+', (size_t)(c.end - c.p));
	struct nx_link_partition *pt;

	if (plus == NULL || o->partition_count == NX_LINK_PARTITIONS_MAX)
		return NX_EINVAL;
	pt = &o->partitions[o->partition_count];
	if (parse_duration((struct cursor){ c.p, plus }, &pt->at_ns) != NX_OK ||
	    parse_duration((struct cursor){ plus + 1, c.end }, &pt->duration_ns) != NX_OK)
		return NX_EINVAL;
	o->partition_count++;
	return NX_OK;
}

/* A decimal integer in [lo, hi]; *unit gets the suffix's first char. */
static int parse_count(struct cursor c, uint64_t lo, uint64_t hi,
		       const char *units, char *unit, uint32_t *out)
{
	uint64_t ip, frac;

	if (parse_decimal(&c, &ip, &frac) != NX_OK || frac != 0 || ip < lo || ip > hi)
		return NX_EINVAL;
	*unit = '\0';
	if (c.p < c.end) {
		if (c.end - c.p != 1 || strchr(units, *c.p) == NULL)
			return NX_EINVAL;
		*unit = *c.p;
	}
	*out = (uint32_t)ip;
	return NX_OK;
}

#define KEY(s) (klen == strlen(s) && memcmp(k, s, klen) == 0)

/* The ns3 model's own knobs (mtu is every model's: parse_kv). */
static int parse_ns3_kv(const char *k, size_t klen, struct cursor v,
			struct nx_link_opts *o)
{
	char unit;

	if (KEY("topo")) {
		if (suffix_is(&v, "p2p"))
			o->topo = NX_LINK_TOPO_P2P;
		else if (suffix_is(&v, "csma"))
			o->topo = NX_LINK_TOPO_CSMA;
		else
			return NX_EINVAL;
		return NX_OK;
	}
	if (KEY("queue")) {
		if (parse_count(v, 1, INT32_MAX, "pB", &unit, &o->queue_len) != NX_OK)
			return NX_EINVAL;
		o->queue_bytes = unit == 'B';
		return NX_OK;
	}
	return NX_EINVAL;
}

static int parse_kv(const char *k, size_t klen, struct cursor v,
		    struct nx_link_opts *o)
{
	char unit;

	if (KEY("latency") || KEY("delay"))
		return parse_duration(v, &o->latency_ns);
	if (KEY("mtu"))
		return parse_count(v, NX_LINK_MTU_MIN, NX_LINK_MTU_MAX, "", &unit,
				   &o->mtu);
	if (o->kind == NX_LINK_IDEAL)
		return NX_EINVAL; /* ideal: latency and mtu only */
	if (KEY("bw") || KEY("bandwidth") || KEY("rate"))
		return parse_bandwidth(v, &o->bandwidth_bps);
	if (KEY("loss"))
		return parse_prob(v, &o->loss_ppb);
	if (KEY("partition"))
		return parse_partition(v, o);
	if (o->kind == NX_LINK_NS3)
		return parse_ns3_kv(k, klen, v, o);
	if (KEY("jitter"))
		return parse_duration(v, &o->jitter_ns);
	if (KEY("dup"))
		return parse_prob(v, &o->dup_ppb);
	if (KEY("reorder"))
		return parse_prob(v, &o->reorder_ppb);
	if (KEY("reorder_delay"))
		return parse_duration(v, &o->reorder_delay_ns);
	return NX_EINVAL;
}
#undef KEY

static int parse_kind(const char *s, size_t n, struct nx_link_opts *o,
		      struct nx_rng *rng)
{
	if (n == 5 && memcmp(s, "ideal", 5) == 0) {
		nx_link_opts_ideal(o);
		return NX_OK;
	}
	if (n == 10 && memcmp(s, "parametric", 10) == 0) {
		opts_parametric(o);
		return NX_OK;
	}
	if (n == 6 && memcmp(s, "random", 6) == 0 && rng != NULL) {
		nx_link_opts_from_seed(o, rng);
		return NX_OK;
	}
	if (n == 3 && memcmp(s, "ns3", 3) == 0) {
		opts_ns3(o);
		return NX_OK;
	}
	return NX_EINVAL;
}

int nx_link_parse(const char *s, struct nx_link_opts *o, struct nx_rng *rng,
		  char *err, size_t err_len)
{
	const char *colon = strchr(s, ':');
	const char *p, *end = s + strlen(s);
	size_t kind_len = colon ? (size_t)(colon - s) : strlen(s);

	if (kind_len == 3 && memcmp(s, "ns3", 3) == 0 && !nx_link_ns3_available()) {
		snprintf(err, err_len, "this build has no ns-3: install libns3-dev "
			 "(apt-get install libns3-dev, or make deps) and rebuild (make)");
		return NX_EINVAL;
	}
	if (parse_kind(s, kind_len, o, rng) != NX_OK) {
		snprintf(err, err_len, "unknown link model in '%s' "
			 "(ideal, parametric, random, ns3)", s);
		return NX_EINVAL;
	}
	for (p = colon ? colon + 1 : end; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(item_end - p));

		if (eq == NULL ||
		    parse_kv(p, (size_t)(eq - p), (struct cursor){ eq + 1, item_end }, o) != NX_OK) {
			snprintf(err, err_len, "bad link option '%.*s'",
				 (int)(item_end - p), p);
			return NX_EINVAL;
		}
		p = comma ? comma + 1 : end;
	}
	if (o->kind == NX_LINK_NS3 && o->bandwidth_bps == 0) {
		snprintf(err, err_len, "ns3 links need a data rate (rate=1G)");
		return NX_EINVAL;
	}
	return NX_OK;
}

/* ---- formatting ----------------------------------------------------------- */

static int fmt_duration(char *b, size_t n, uint64_t ns)
{
	if (ns != 0 && ns % E9 == 0)
		return snprintf(b, n, "%llus", (unsigned long long)(ns / E9));
	if (ns != 0 && ns % 1000000 == 0)
		return snprintf(b, n, "%llums", (unsigned long long)(ns / 1000000));
	if (ns != 0 && ns % 1000 == 0)
		return snprintf(b, n, "%lluus", (unsigned long long)(ns / 1000));
	return snprintf(b, n, "%lluns", (unsigned long long)ns);
}

static int fmt_prob(char *b, size_t n, uint32_t ppb)
{
	char frac[16];
	int len;

	if (ppb % E9 == 0)
		return snprintf(b, n, "%u", (unsigned)(ppb / E9));
	len = snprintf(frac, sizeof(frac), "%09u", (unsigned)(ppb % E9));
	while (len > 1 && frac[len - 1] == '0')
		frac[--len] = '\0';
	return snprintf(b, n, "0.%s", frac);
}

static int fmt_bw(char *b, size_t n, uint64_t bps)
{
	if (bps != 0 && bps % E9 == 0)
		return snprintf(b, n, "%lluG", (unsigned long long)(bps / E9));
	if (bps != 0 && bps % 1000000 == 0)
		return snprintf(b, n, "%lluM", (unsigned long long)(bps / 1000000));
	return snprintf(b, n, "%llu", (unsigned long long)bps);
}

/* Appends to a bounded buffer, tracking the length a full one would
 * need (snprintf style). */
struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *w, const char *s)
{
	for (; *s != '\0'; s++, w->used++)
		if (w->used + 1 < w->len)
			w->buf[w->used] = *s;
	w->buf[NX_MIN(w->used, w->len - 1)] = '\0';
}

typedef int (*fmt_fn)(char *b, size_t n, uint64_t v);

static int fmt_duration_fn(char *b, size_t n, uint64_t v) { return fmt_duration(b, n, v); }
static int fmt_prob_fn(char *b, size_t n, uint64_t v) { return fmt_prob(b, n, (uint32_t)v); }
static int fmt_bw_fn(char *b, size_t n, uint64_t v) { return fmt_bw(b, n, v); }
static int fmt_u_fn(char *b, size_t n, uint64_t v)
{
	return snprintf(b, n, "%llu", (unsigned long long)v);
}

static void put_kv(struct out *w, const char *key, fmt_fn fmt, uint64_t v)
{
	char tmp[64];

	fmt(tmp, sizeof(tmp), v);
	put(w, key);
	put(w, tmp);
}

static void format_ns3(struct out *w, const struct nx_link_opts *o)
{
	put(w, o->topo == NX_LINK_TOPO_CSMA ? "ns3:topo=csma" : "ns3:topo=p2p");
	put_kv(w, ",rate=", fmt_bw_fn, o->bandwidth_bps);
	put_kv(w, ",delay=", fmt_duration_fn, o->latency_ns);
	put_kv(w, ",queue=", fmt_u_fn, o->queue_len);
	put(w, o->queue_bytes ? "B" : "p");
	put_kv(w, ",loss=", fmt_prob_fn, o->loss_ppb);
}

int nx_link_format(const struct nx_link_opts *o, char *buf, size_t len)
{
	struct out w = { buf, len, 0 };

	nx_assert(len > 0);
	buf[0] = '\0';
	if (o->kind == NX_LINK_NS3)
		format_ns3(&w, o);
	else
		put_kv(&w, o->kind == NX_LINK_IDEAL ? "ideal:latency=" : "parametric:latency=",
		       fmt_duration_fn, o->latency_ns);
	if (o->kind == NX_LINK_PARAMETRIC) {
		put_kv(&w, ",jitter=", fmt_duration_fn, o->jitter_ns);
		put_kv(&w, ",bw=", fmt_bw_fn, o->bandwidth_bps);
		put_kv(&w, ",loss=", fmt_prob_fn, o->loss_ppb);
		put_kv(&w, ",dup=", fmt_prob_fn, o->dup_ppb);
		put_kv(&w, ",reorder=", fmt_prob_fn, o->reorder_ppb);
		put_kv(&w, ",reorder_delay=", fmt_duration_fn, o->reorder_delay_ns);
	}
	if (o->mtu != 0)
		put_kv(&w, ",mtu=", fmt_u_fn, o->mtu);
	for (unsigned i = 0; i < o->partition_count; i++) {
		put_kv(&w, ",partition=", fmt_duration_fn, o->partitions[i].at_ns);
		put_kv(&w, "+", fmt_duration_fn, o->partitions[i].duration_ns);
	}
	return w.used < len ? (int)w.used : NX_ENOSPC;
}

/* ---- instances -------------------------------------------------------------- */

struct nx_link *nx_link_new(struct nx_sim *sim, const struct nx_link_opts *o,
			    unsigned nodes)
{
	struct nx_link *l;

	if (nodes == 0 || nodes > NX_LINK_NODES_MAX)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->paths = calloc((size_t)nodes * nodes, sizeof(*l->paths));
	if (l->paths == NULL) {
		free(l);
		return NULL;
	}
	l->sim = sim;
	l->o = *o;
	l->model = model_of(o->kind);
	l->nodes = nodes;
	update_plain(l);
	nx_rng_fork(nx_sim_rng(sim), "link", 0, &l->rng);
	if (l->model->open != NULL && (l->state = l->model->open(l, nodes)) == NULL) {
		nx_link_free(l);
		return NULL;
	}
	return l;
}

void nx_link_free(struct nx_link *l)
{
	if (l == NULL)
		return;
	if (l->state != NULL)
		l->model->close(l->state);
	free(l->paths);
	free(l);
}

const struct nx_link_opts *nx_link_opts(const struct nx_link *l) { return &l->o; }
const struct nx_link_opts *nx_link_model_opts(struct nx_link *l) { return &l->o; }
uint64_t nx_link_model_now(struct nx_link *l) { return nx_sim_now(l->sim); }
struct nx_rng *nx_link_model_rng(struct nx_link *l) { return &l->rng; }
struct nx_link_stats *nx_link_model_stats(struct nx_link *l) { return &l->st; }
struct nx_sim *nx_link_model_sim(struct nx_link *l) { return l->sim; }
bool nx_link_async(const struct nx_link *l) { return l->model->submit != NULL; }
void nx_link_set_sink(struct nx_link *l, const struct nx_link_sink *sink) { l->sink = *sink; }
void nx_link_stats(const struct nx_link *l, struct nx_link_stats *out) { *out = l->st; }

static bool scheduled_cut(const struct nx_link *l, uint64_t now)
{
	for (unsigned i = 0; i < l->o.partition_count; i++) {
		const struct nx_link_partition *p = &l->o.partitions[i];

		if (now >= p->at_ns && now - p->at_ns < p->duration_ns)
			return true;
	}
	return false;
}

bool nx_link_is_cut(const struct nx_link *l, unsigned src, unsigned dst)
{
	nx_assert(src < l->nodes && dst < l->nodes);
	if (l->cut_paths == 0 && l->o.partition_count == 0)
		return false;
	return l->paths[src * l->nodes + dst].cut ||
	       scheduled_cut(l, nx_sim_now(l->sim));
}

void nx_link_cut(struct nx_link *l, unsigned a, unsigned b, bool cut)
{
	for (unsigned s = 0; s < l->nodes; s++) {
		for (unsigned d = 0; d < l->nodes; d++) {
			bool match = ((a == NX_LINK_ALL || s == a) && (b == NX_LINK_ALL || d == b)) ||
				     ((a == NX_LINK_ALL || d == a) && (b == NX_LINK_ALL || s == b));

			if (match && l->paths[s * l->nodes + d].cut != cut) {
				l->paths[s * l->nodes + d].cut = cut;
				if (cut)
					l->cut_paths++;
				else
					l->cut_paths--;
			}
		}
	}
	update_plain(l);
}

unsigned nx_link_send(struct nx_link *l, unsigned src, unsigned dst,
		      uint32_t wire_bytes, uint64_t arrive_ns[2])
{
	unsigned n;

	nx_assert(src < l->nodes && dst < l->nodes && l->model->send != NULL);
	l->st.sent++;
	if (l->plain) { /* what ideal_send() answers */
		arrive_ns[0] = nx_sim_now(l->sim) + l->o.latency_ns;
		l->st.delivered++;
		return 1;
	}
	if (nx_link_is_cut(l, src, dst)) {
		l->st.partitioned++;
		return 0;
	}
	n = l->model->send(l, &l->paths[src * l->nodes + dst], wire_bytes, arrive_ns);
	nx_assert(n <= 2);
	l->st.delivered += n;
	return n;
}

bool nx_link_trains(const struct nx_link *l) { return l->plain; }

uint64_t nx_link_send_train(struct nx_link *l, unsigned src, unsigned dst,
			    unsigned packets)
{
	nx_assert(src < l->nodes && dst < l->nodes && l->plain);
	l->st.sent += packets;
	l->st.delivered += packets;
	return nx_sim_now(l->sim) + l->o.latency_ns;
}

bool nx_link_submit(struct nx_link *l, unsigned src, unsigned dst,
		    uint32_t wire_bytes, void *cookie)
{
	nx_assert(src < l->nodes && dst < l->nodes && nx_link_async(l));
	nx_assert(l->sink.arrive != NULL && l->sink.drop != NULL);
	l->st.sent++;
	if (nx_link_is_cut(l, src, dst)) {
		l->st.partitioned++;
		return false;
	}
	if (!l->model->submit(l->state, src, dst, wire_bytes, cookie)) {
		l->st.lost++;
		return false;
	}
	return true;
}

void nx_link_model_done(struct nx_link *l, void *cookie, bool arrived,
			uint64_t at_ns)
{
	if (!arrived) {
		l->st.lost++;
		l->sink.drop(l->sink.arg, cookie);
		return;
	}
	nx_assert(at_ns >= nx_sim_now(l->sim));
	l->st.delivered++;
	l->sink.arrive(l->sink.arg, cookie, at_ns);
}

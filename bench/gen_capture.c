/*
 * gen_capture.c - deterministic benchmark capture generator for lmcap.
 *
 *   gen_capture --profile small|jumbo|synflood|fragids [--bytes SIZE] [--packets N]
 *               [--format pcap|pcapng] [--seed N] --out FILE
 *
 * The frame sequence depends only on (--profile, --seed): --bytes / --packets
 * only decide where the stream stops, and --format only changes the record
 * framing.  So `--packets 200000` with the same seed yields exactly the first
 * 200000 frames of a large capture, and a pcapng written with --packets N is
 * frame-for-frame identical to the pcap it copies.
 *
 * Stops at the first frame boundary where the output file is >= --bytes or the
 * frame count == --packets (whichever comes first; at least one is required).
 *
 * Prints {"packets": N, "bytes": B} on stdout (B = sum of captured frame bytes,
 * caplen == wire length for every frame) and writes FILE.meta.json with the same
 * keys plus file_bytes, profile, format, seed.
 *
 * Profiles
 *   small : frames of 60..300 bytes.  TCP and UDP over 4096 flows (~90% IPv4,
 *           ~10% IPv6), ARP requests/replies (~2%), IGMPv2/v3 reports (~1%),
 *           ~1% IPv4 fragments (first+last fragment pairs of a UDP datagram),
 *           5% of flows 802.1Q-tagged and 1% QinQ (802.1ad outer + 802.1Q inner);
 *           with the heavy-flow skew that is ~4.3% / ~0.5% of frames for seed 1.
 *   jumbo : 9014-byte TCP segments to port 6600 (live-migration style) over 4
 *           flows, with a 66-byte pure ACK from the receiver after every second
 *           data segment of a flow.
 *   synflood : hostile: 60-byte TCP SYNs, each from a new source address and port
 *           (10.64.0.0/10, ports 1024..65535) to 10.200.0.1:445: every frame a new 5-tuple,
 *           none ever answered (a SYN flood; 10 M frames = 10 M flows).
 *   fragids : hostile: first fragments (offset 0, more-fragments set) of UDP datagrams
 *           whose last fragment never comes, from 256 senders with IP ids counting up:
 *           every frame a new never-completed datagram (1 M frames = 1 M fragment ids).
 *
 * IPv4 header, TCP, UDP, and IGMP checksums are all valid (UDP in IPv4
 * fragments carries checksum 0 = "none").
 *
 * Build: cc -O2 -o gen_capture gen_capture.c
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_VERSION 1
#define SNAPLEN 262144u
#define MAX_FRAME 9100
#define OUTBUF (8u << 20)

/* ------------------------------------------------------------------ rng */
static uint64_t rng_state;
static inline uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/* uniform in [lo, hi] inclusive */
static inline uint32_t rnd_range(uint32_t lo, uint32_t hi) {
    return lo + (uint32_t)(((rnd() >> 32) * (uint64_t)(hi - lo + 1)) >> 32);
}

/* --------------------------------------------------------------- output */
static FILE *out;
static uint8_t *obuf;
static size_t opos;
static uint64_t file_bytes, n_packets, frame_bytes;
static int fmt_pcapng;

static void flush_out(void) {
    if (opos && fwrite(obuf, 1, opos, out) != opos) {
        perror("fwrite");
        exit(1);
    }
    opos = 0;
}
static inline void put(const void *p, size_t n) {
    if (opos + n > OUTBUF) flush_out();
    memcpy(obuf + opos, p, n);
    opos += n;
    file_bytes += n;
}
static inline void put32(uint32_t v) { put(&v, 4); } /* little-endian hosts */

static void write_file_header(void) {
    if (!fmt_pcapng) {
        struct {
            uint32_t magic;
            uint16_t vmaj, vmin;
            int32_t thiszone;
            uint32_t sigfigs, snaplen, linktype;
        } gh = {0xa1b2c3d4u, 2, 4, 0, 0, SNAPLEN, 1};
        put(&gh, sizeof gh);
    } else {
        /* Section Header Block */
        put32(0x0A0D0D0Au);
        put32(28);
        put32(0x1A2B3C4Du);
        uint16_t ver[2] = {1, 0};
        put(ver, 4);
        int64_t seclen = -1;
        put(&seclen, 8);
        put32(28);
        /* Interface Description Block: linktype 1, no options (tsresol = 6) */
        put32(1);
        put32(20);
        uint16_t lt[2] = {1, 0};
        put(lt, 4);
        put32(SNAPLEN);
        put32(20);
    }
}

static void write_record(uint64_t ts_us, const uint8_t *frame, uint32_t len) {
    if (!fmt_pcapng) {
        uint32_t rh[4] = {(uint32_t)(ts_us / 1000000u), (uint32_t)(ts_us % 1000000u), len, len};
        put(rh, 16);
        put(frame, len);
    } else {
        uint32_t pad = (4 - (len & 3)) & 3;
        uint32_t total = 32 + len + pad;
        uint32_t bh[7] = {6, total, 0, (uint32_t)(ts_us >> 32), (uint32_t)ts_us, len, len};
        put(bh, 28);
        put(frame, len);
        static const uint8_t zeros[4];
        if (pad) put(zeros, pad);
        put32(total);
    }
    n_packets++;
    frame_bytes += len;
}

/* ------------------------------------------------------------ checksums */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n) {
    while (n > 1) {
        sum += ((uint32_t)p[0] << 8) | p[1];
        p += 2;
        n -= 2;
    }
    if (n) sum += (uint32_t)p[0] << 8;
    return sum;
}
static uint16_t csum_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v;
}

/* ------------------------------------------------------- frame builders */
static uint8_t pool[1 << 16]; /* random payload bytes */

typedef struct {
    uint8_t v6;
    uint8_t proto;   /* 6 or 17 */
    uint8_t vlan;    /* 0 none, 1 802.1Q, 2 QinQ */
    uint16_t vid_outer, vid_inner;
    uint8_t ip[2][16];
    uint8_t mac[2][6];
    uint16_t port[2];
    uint32_t seq[2];
    uint32_t tsval[2];
} flow_t;

/* Ethernet (+ VLAN tags) header; returns offset of the L3 header. */
static size_t put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, int vlan,
                      uint16_t vo, uint16_t vi, uint16_t ethertype) {
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    size_t o = 12;
    if (vlan == 2) {
        wr16(f + o, 0x88a8); wr16(f + o + 2, vo & 0x0fff); o += 4;
        wr16(f + o, 0x8100); wr16(f + o + 2, vi & 0x0fff); o += 4;
    } else if (vlan == 1) {
        wr16(f + o, 0x8100); wr16(f + o + 2, (uint16_t)((3u << 13) | (vo & 0x0fff))); o += 4;
    }
    wr16(f + o, ethertype);
    return o + 2;
}

static uint16_t ip_id_ctr = 1;

/* IPv4 header (20 bytes, or 24 with router-alert when ra != 0). */
static size_t put_ipv4(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                       uint16_t total_len, uint16_t id, uint16_t frag, uint8_t ttl, int ra) {
    size_t hl = ra ? 24 : 20;
    p[0] = 0x40 | (uint8_t)(hl / 4);
    p[1] = ra ? 0xc0 : 0;
    wr16(p + 2, total_len);
    wr16(p + 4, id);
    wr16(p + 6, frag);
    p[8] = ttl;
    p[9] = proto;
    p[10] = p[11] = 0;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    if (ra) { p[20] = 0x94; p[21] = 0x04; p[22] = 0; p[23] = 0; }
    wr16(p + 10, csum_fold(csum_add(0, p, hl)));
    return hl;
}

static size_t put_ipv6(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nh,
                       uint16_t payload_len, uint32_t flowlabel) {
    wr32(p, 0x60000000u | (flowlabel & 0xfffff));
    wr16(p + 4, payload_len);
    p[6] = nh;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    return 40;
}

/* L4 checksum with pseudo header; l4 points at the TCP/UDP header, len = L4 length */
static uint16_t l4_csum(int v6, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                        const uint8_t *l4, uint32_t len) {
    uint32_t s = 0;
    s = csum_add(s, src, v6 ? 16 : 4);
    s = csum_add(s, dst, v6 ? 16 : 4);
    s += proto;
    s += len & 0xffff;
    s += len >> 16;
    s = csum_add(s, l4, len);
    return csum_fold(s);
}

/* Build one TCP or UDP frame for flow fl in direction dir with paylen bytes of
 * payload (TCP: flags; pure ACK when paylen == 0). Returns frame length. */
static uint32_t build_l4(uint8_t *f, flow_t *fl, int dir, uint32_t paylen, uint8_t tcpflags,
                         int tcp_ts) {
    size_t o = put_eth(f, fl->mac[!dir], fl->mac[dir], fl->vlan, fl->vid_outer, fl->vid_inner,
                       fl->v6 ? 0x86dd : 0x0800);
    size_t l3 = o;
    uint32_t l4len = (fl->proto == 6 ? (tcp_ts ? 32u : 20u) : 8u) + paylen;
    const uint8_t *src = fl->ip[dir], *dst = fl->ip[!dir];
    if (fl->v6)
        o += put_ipv6(f + o, src, dst, fl->proto, (uint16_t)l4len, fl->port[0] ^ fl->port[1]);
    else
        o += put_ipv4(f + o, src, dst, fl->proto, (uint16_t)(20 + l4len), ip_id_ctr++, 0x4000,
                      64, 0);
    uint8_t *l4 = f + o;
    wr16(l4, fl->port[dir]);
    wr16(l4 + 2, fl->port[!dir]);
    size_t hl;
    if (fl->proto == 6) {
        hl = tcp_ts ? 32 : 20;
        wr32(l4 + 4, fl->seq[dir]);
        wr32(l4 + 8, fl->seq[!dir]);
        l4[12] = (uint8_t)((hl / 4) << 4);
        l4[13] = tcpflags;
        wr16(l4 + 14, 0xffff);
        wr16(l4 + 16, 0);
        wr16(l4 + 18, 0);
        if (tcp_ts) {
            l4[20] = 1; l4[21] = 1; l4[22] = 8; l4[23] = 10;
            wr32(l4 + 24, fl->tsval[dir]);
            wr32(l4 + 28, fl->tsval[!dir]);
            fl->tsval[dir] += 1;
        }
        fl->seq[dir] += paylen;
    } else {
        hl = 8;
        wr16(l4 + 4, (uint16_t)l4len);
        wr16(l4 + 6, 0);
    }
    memcpy(l4 + hl, pool + (rnd() & 0x7fff), paylen); /* pool is 64K, offset < 32K */
    /* UDP: fixed 4-byte marker so Wireshark's heuristic dissectors (RTCP, ...)
     * don't claim random payloads and report them as malformed. */
    if (fl->proto == 17 && paylen >= 4) memcpy(l4 + hl, "lmcb", 4);
    uint16_t c = l4_csum(fl->v6, src, dst, fl->proto, l4, l4len);
    if (fl->proto == 17 && c == 0) c = 0xffff;
    wr16(l4 + (fl->proto == 6 ? 16 : 6), c);
    (void)l3;
    uint32_t len = (uint32_t)(o + l4len);
    if (len < 60) { memset(f + len, 0, 60 - len); len = 60; }
    return len;
}

/* ------------------------------------------------------------ profiles */
#define NFLOWS 4096
static flow_t *flows;
static uint64_t ts_us = 1700000000ull * 1000000ull;

/* pending second frame (IPv4 fragment pairs) */
static uint8_t pending[MAX_FRAME];
static uint32_t pending_len;

static void rand_mac(uint8_t *m) {
    uint64_t r = rnd();
    m[0] = 0x02; /* locally administered, unicast */
    m[1] = (uint8_t)(r >> 8); m[2] = (uint8_t)(r >> 16); m[3] = (uint8_t)(r >> 24);
    m[4] = (uint8_t)(r >> 32); m[5] = (uint8_t)(r >> 40);
}
static void rand_v4(uint8_t *ip, int server) {
    uint32_t r = (uint32_t)rnd();
    if (server) { ip[0] = 10; ip[1] = 200; ip[2] = (r >> 8) & 0x0f; ip[3] = 1 + (r & 0x7f); }
    else { ip[0] = 10; ip[1] = 1 + ((r >> 16) & 0x3f); ip[2] = (uint8_t)(r >> 8); ip[3] = 1 + (r % 254); }
}
static void rand_v6(uint8_t *ip, int server) {
    uint64_t a = rnd(), b = rnd();
    ip[0] = 0xfd; ip[1] = 0x00; ip[2] = 0x1a; ip[3] = 0xb0;
    ip[4] = 0; ip[5] = server ? 0x20 : 0x10;
    memcpy(ip + 6, &a, 2);
    ip[8] = 0; ip[9] = 0;
    memcpy(ip + 10, &b, 6);
}

static const uint16_t tcp_dports[] = {443, 443, 443, 8443, 10001, 10002, 10003, 11000};

static void init_small(void) {
    flows = calloc(NFLOWS, sizeof *flows);
    for (int i = 0; i < NFLOWS; i++) {
        flow_t *fl = &flows[i];
        uint32_t r = (uint32_t)(rnd() % 1000);
        fl->v6 = r < 100;
        fl->proto = (rnd() % 100) < 65 ? 6 : 17;
        r = (uint32_t)(rnd() % 1000);
        fl->vlan = r < 50 ? 1 : (r < 60 ? 2 : 0);
        fl->vid_outer = (uint16_t)rnd_range(10, 4000);
        fl->vid_inner = (uint16_t)rnd_range(10, 4000);
        for (int d = 0; d < 2; d++) {
            if (fl->v6) rand_v6(fl->ip[d], d); else rand_v4(fl->ip[d], d);
            rand_mac(fl->mac[d]);
            fl->seq[d] = (uint32_t)rnd();
            fl->tsval[d] = (uint32_t)rnd();
        }
        fl->port[0] = (uint16_t)rnd_range(50000, 53999); /* ports without a Wireshark dissector */
        if (fl->proto == 6) fl->port[1] = tcp_dports[rnd() % 8];
        else fl->port[1] = (uint16_t)rnd_range(28000, 29999);
    }
}

/* a tag configuration for non-flow frames (ARP, IGMP, fragments) */
static void rand_tag(int *vlan, uint16_t *vo, uint16_t *vi) {
    uint32_t r = (uint32_t)(rnd() % 1000);
    *vlan = r < 50 ? 1 : (r < 60 ? 2 : 0);
    *vo = (uint16_t)rnd_range(10, 4000);
    *vi = (uint16_t)rnd_range(10, 4000);
}

static flow_t *pick_v4_flow(void) {
    flow_t *fl;
    do { fl = &flows[rnd() % NFLOWS]; } while (fl->v6);
    return fl;
}

static uint32_t build_arp(uint8_t *f) {
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    int vlan; uint16_t vo, vi;
    rand_tag(&vlan, &vo, &vi);
    flow_t *a = pick_v4_flow(), *b = pick_v4_flow();
    const uint8_t *spa = a->ip[0], *tpa = b->ip[0];
    int reply = (int)(rnd() & 1);
    size_t o = put_eth(f, reply ? b->mac[0] : bcast, a->mac[0], vlan, vo, vi, 0x0806);
    uint8_t *p = f + o;
    wr16(p, 1); wr16(p + 2, 0x0800); p[4] = 6; p[5] = 4; wr16(p + 6, reply ? 2 : 1);
    memcpy(p + 8, a->mac[0], 6); memcpy(p + 14, spa, 4);
    if (reply) memcpy(p + 18, b->mac[0], 6); else memset(p + 18, 0, 6);
    memcpy(p + 24, tpa, 4);
    uint32_t len = (uint32_t)(o + 28);
    if (len < 60) { memset(f + len, 0, 60 - len); len = 60; }
    return len;
}

static uint32_t build_igmp(uint8_t *f) {
    int vlan; uint16_t vo, vi;
    rand_tag(&vlan, &vo, &vi);
    flow_t *h = pick_v4_flow();
    const uint8_t *src = h->ip[0];
    uint8_t grp[4] = {239, (uint8_t)rnd_range(1, 3), (uint8_t)rnd_range(0, 255), (uint8_t)rnd_range(1, 254)};
    uint8_t igmp[8 + 3 * (8 + 2 * 4)];
    size_t ilen;
    const uint8_t *dst;
    static const uint8_t v3dst[4] = {224, 0, 0, 22};
    if (rnd() & 1) { /* IGMPv2 membership report */
        igmp[0] = 0x16; igmp[1] = 0; igmp[2] = igmp[3] = 0;
        memcpy(igmp + 4, grp, 4);
        ilen = 8;
        dst = grp;
    } else { /* IGMPv3 membership report */
        int nrec = (int)rnd_range(1, 3);
        igmp[0] = 0x22; igmp[1] = 0; igmp[2] = igmp[3] = 0; igmp[4] = igmp[5] = 0;
        wr16(igmp + 6, (uint16_t)nrec);
        ilen = 8;
        for (int r = 0; r < nrec; r++) {
            int nsrc = (int)rnd_range(0, 2);
            uint8_t *g = igmp + ilen;
            g[0] = (uint8_t)rnd_range(1, 4); g[1] = 0; wr16(g + 2, (uint16_t)nsrc);
            g[4] = 239; g[5] = (uint8_t)rnd_range(1, 3); g[6] = (uint8_t)rnd(); g[7] = (uint8_t)rnd_range(1, 254);
            ilen += 8;
            for (int s = 0; s < nsrc; s++) {
                uint8_t *sp = igmp + ilen;
                sp[0] = 10; sp[1] = 200; sp[2] = (uint8_t)rnd_range(0, 15); sp[3] = (uint8_t)rnd_range(1, 127);
                ilen += 4;
            }
        }
        dst = v3dst;
    }
    wr16(igmp + 2, csum_fold(csum_add(0, igmp, ilen)));
    uint8_t dmac[6] = {0x01, 0x00, 0x5e, (uint8_t)(dst[1] & 0x7f), dst[2], dst[3]};
    size_t o = put_eth(f, dmac, h->mac[0], vlan, vo, vi, 0x0800);
    o += put_ipv4(f + o, src, dst, 2, (uint16_t)(24 + ilen), ip_id_ctr++, 0, 1, 1);
    memcpy(f + o, igmp, ilen);
    uint32_t len = (uint32_t)(o + ilen);
    if (len < 60) { memset(f + len, 0, 60 - len); len = 60; }
    return len;
}

/* First fragment returned in f, last fragment stored in `pending`. */
static uint32_t build_frag_pair(uint8_t *f) {
    int vlan; uint16_t vo, vi;
    rand_tag(&vlan, &vo, &vi);
    flow_t *fl = pick_v4_flow();
    uint32_t f1 = 8 * rnd_range(10, 28);   /* IP payload bytes of first fragment */
    uint32_t f2 = rnd_range(8, 200);        /* of last fragment */
    uint16_t id = ip_id_ctr++;
    uint16_t sport = fl->port[0], dport = (uint16_t)rnd_range(33000, 33999);
    /* first fragment: UDP header + data */
    size_t o = put_eth(f, fl->mac[1], fl->mac[0], vlan, vo, vi, 0x0800);
    o += put_ipv4(f + o, fl->ip[0], fl->ip[1], 17, (uint16_t)(20 + f1), id, 0x2000, 64, 0);
    wr16(f + o, sport); wr16(f + o + 2, dport); wr16(f + o + 4, (uint16_t)(f1 + f2));
    wr16(f + o + 6, 0);
    memcpy(f + o + 8, pool + (rnd() & 0x7fff), f1 - 8);
    uint32_t len1 = (uint32_t)(o + f1);
    /* last fragment */
    uint8_t *g = pending;
    o = put_eth(g, fl->mac[1], fl->mac[0], vlan, vo, vi, 0x0800);
    o += put_ipv4(g + o, fl->ip[0], fl->ip[1], 17, (uint16_t)(20 + f2), id, (uint16_t)(f1 / 8), 64, 0);
    memcpy(g + o, pool + (rnd() & 0x7fff), f2);
    pending_len = (uint32_t)(o + f2);
    if (pending_len < 60) { memset(g + pending_len, 0, 60 - pending_len); pending_len = 60; }
    return len1;
}

static uint32_t next_small(uint8_t *f) {
    if (pending_len) {
        uint32_t l = pending_len;
        memcpy(f, pending, l);
        pending_len = 0;
        ts_us += 1;
        return l;
    }
    ts_us += rnd_range(1, 19);
    uint32_t r = (uint32_t)(rnd() % 1000);
    if (r < 20) return build_arp(f);
    if (r < 30) return build_igmp(f);
    if (r < 35) return build_frag_pair(f);
    /* flow traffic: half the picks go to 64 "heavy" flows */
    flow_t *fl = &flows[(rnd() & 1) ? rnd() % 64 : rnd() % NFLOWS];
    int dir = (rnd() % 10) < 6 ? 0 : 1;
    uint32_t target = rnd_range(60, 300);
    size_t hdr = 14 + (fl->vlan == 2 ? 8 : fl->vlan * 4) + (fl->v6 ? 40 : 20) +
                 (fl->proto == 6 ? 32 : 8);
    uint32_t paylen = target > hdr ? (uint32_t)(target - hdr) : 0;
    if (fl->proto == 6) {
        if ((rnd() % 5) == 0) return build_l4(f, fl, dir, 0, 0x10, 1); /* pure ACK */
        return build_l4(f, fl, dir, paylen, 0x18, 1);
    }
    return build_l4(f, fl, dir, paylen, 0, 0);
}

/* synflood: a new source address and port per SYN, so every frame opens a new flow */
static uint32_t syn_counter;

static uint32_t next_synflood(uint8_t *f) {
    static flow_t fl;
    ts_us += rnd_range(1, 3);
    uint32_t n = syn_counter++;
    fl.v6 = 0; fl.proto = 6; fl.vlan = 0;
    /* 10.64.0.0/10 holds 4 M addresses; with the port, 2^38 distinct sources */
    fl.ip[0][0] = 10; fl.ip[0][1] = (uint8_t)(64 | ((n >> 16) & 0x3f));
    fl.ip[0][2] = (uint8_t)(n >> 8); fl.ip[0][3] = (uint8_t)n;
    uint8_t d[4] = {10, 200, 0, 1};
    memcpy(fl.ip[1], d, 4);
    uint8_t cm[6] = {0x02, 0, 0, 0, 0, 0x01}, sm[6] = {0x02, 0, 0, 0, 0, 0x02};
    memcpy(fl.mac[0], cm, 6); memcpy(fl.mac[1], sm, 6);
    fl.port[0] = (uint16_t)(1024 + ((n >> 22) + (uint32_t)rnd()) % 64512);
    fl.port[1] = 445;
    fl.seq[0] = (uint32_t)rnd(); fl.seq[1] = 0;
    return build_l4(f, &fl, 0, 0, 0x02, 0);
}

/* fragids: first fragments whose datagrams never complete, a new (source, id) per frame */
static uint32_t frag_counter;

static uint32_t next_fragids(uint8_t *f) {
    ts_us += rnd_range(1, 5);
    uint32_t n = frag_counter++;
    uint8_t src[4] = {10, 65, (uint8_t)(n & 0xff), 1}, dst[4] = {10, 200, 0, 2};
    uint8_t cm[6] = {0x02, 0, 0, 0, 1, (uint8_t)n}, sm[6] = {0x02, 0, 0, 0, 0, 0x02};
    uint16_t id = (uint16_t)(n >> 8); /* 256 senders, each counting its ids up */
    uint32_t f1 = 8 * rnd_range(10, 28);
    size_t o = put_eth(f, sm, cm, 0, 0, 0, 0x0800);
    o += put_ipv4(f + o, src, dst, 17, (uint16_t)(20 + f1), id, 0x2000, 64, 0);
    wr16(f + o, 40000); wr16(f + o + 2, 9); wr16(f + o + 4, (uint16_t)(f1 + 100));
    wr16(f + o + 6, 0);
    memcpy(f + o + 8, pool + (rnd() & 0x7fff), f1 - 8);
    return (uint32_t)(o + f1);
}

#define NJUMBO 4
static int jumbo_since_ack[NJUMBO];
static uint32_t jumbo_ack_next;

static void init_jumbo(void) {
    flows = calloc(NJUMBO, sizeof *flows);
    for (int i = 0; i < NJUMBO; i++) {
        flow_t *fl = &flows[i];
        fl->v6 = 0; fl->proto = 6; fl->vlan = 0;
        uint8_t s[4] = {10, 10, 0, (uint8_t)(11 + i)}, d[4] = {10, 10, 0, (uint8_t)(21 + i)};
        memcpy(fl->ip[0], s, 4); memcpy(fl->ip[1], d, 4);
        rand_mac(fl->mac[0]); rand_mac(fl->mac[1]);
        fl->port[0] = (uint16_t)rnd_range(50000, 53999);
        fl->port[1] = 6600;
        fl->seq[0] = (uint32_t)rnd(); fl->seq[1] = (uint32_t)rnd();
        fl->tsval[0] = (uint32_t)rnd(); fl->tsval[1] = (uint32_t)rnd();
    }
}

static uint32_t next_jumbo(uint8_t *f) {
    if (jumbo_ack_next) { /* pure ACK from the receiver of flow (jumbo_ack_next-1) */
        flow_t *fl = &flows[jumbo_ack_next - 1];
        jumbo_ack_next = 0;
        ts_us += 1;
        return build_l4(f, fl, 1, 0, 0x10, 1);
    }
    ts_us += rnd_range(6, 9); /* ~10 Gbit/s */
    int i = (int)(rnd() % NJUMBO);
    flow_t *fl = &flows[i];
    uint32_t len = build_l4(f, fl, 0, 9000 - 20 - 32, 0x10, 1); /* 14 + 9000 = 9014 */
    if (++jumbo_since_ack[i] == 2) { jumbo_since_ack[i] = 0; jumbo_ack_next = (uint32_t)i + 1; }
    return len;
}

/* ----------------------------------------------------------------- main */
static uint64_t parse_size(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) { fprintf(stderr, "bad size: %s\n", s); exit(2); }
    switch (*end) {
    case 'k': case 'K': v *= 1024.0; break;
    case 'm': case 'M': v *= 1024.0 * 1024; break;
    case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
    case 0: break;
    default: fprintf(stderr, "bad size suffix: %s\n", s); exit(2);
    }
    return (uint64_t)v;
}

static void usage(void) {
    fprintf(stderr,
            "usage: gen_capture --profile small|jumbo|synflood|fragids [--bytes SIZE] [--packets N]\n"
            "                   [--format pcap|pcapng] [--seed N] --out FILE\n"
            "SIZE accepts K/M/G suffixes (binary: 1G = 2^30 bytes).\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *profile = "small", *format = "pcap", *path = NULL;
    uint64_t max_bytes = 0, max_packets = 0, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--profile") && v) profile = v, i++;
        else if (!strcmp(a, "--bytes") && v) max_bytes = parse_size(v), i++;
        else if (!strcmp(a, "--packets") && v) max_packets = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--format") && v) format = v, i++;
        else if (!strcmp(a, "--seed") && v) seed = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--out") && v) path = v, i++;
        else usage();
    }
    if (!path || (!max_bytes && !max_packets)) usage();
    int jumbo; /* 0 small, 1 jumbo, 2 synflood, 3 fragids */
    if (!strcmp(profile, "small")) jumbo = 0;
    else if (!strcmp(profile, "jumbo")) jumbo = 1;
    else if (!strcmp(profile, "synflood")) jumbo = 2;
    else if (!strcmp(profile, "fragids")) jumbo = 3;
    else usage();
    if (!strcmp(format, "pcap")) fmt_pcapng = 0;
    else if (!strcmp(format, "pcapng")) fmt_pcapng = 1;
    else usage();

    rng_state = seed * 0x2545F4914F6CDD1DULL + (jumbo ? 0x1234567ULL * (uint64_t)jumbo : 0x7654321ULL);
    for (size_t i = 0; i < sizeof pool; i += 8) {
        uint64_t r = rnd();
        memcpy(pool + i, &r, 8);
    }
    if (jumbo == 1) init_jumbo();
    else if (jumbo == 0) init_small();

    out = fopen(path, "wb");
    if (!out) { fprintf(stderr, "%s: %s\n", path, strerror(errno)); return 1; }
    obuf = malloc(OUTBUF);
    write_file_header();

    static uint8_t frame[MAX_FRAME];
    for (;;) {
        if (max_bytes && file_bytes >= max_bytes) break;
        if (max_packets && n_packets >= max_packets) break;
        uint32_t len = jumbo == 1   ? next_jumbo(frame)
                       : jumbo == 2 ? next_synflood(frame)
                       : jumbo == 3 ? next_fragids(frame)
                                    : next_small(frame);
        write_record(ts_us, frame, len);
    }
    flush_out();
    if (fclose(out)) { perror("fclose"); return 1; }

    printf("{\"packets\": %llu, \"bytes\": %llu}\n", (unsigned long long)n_packets,
           (unsigned long long)frame_bytes);
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s.meta.json", path);
    FILE *m = fopen(mpath, "w");
    if (!m) { fprintf(stderr, "%s: %s\n", mpath, strerror(errno)); return 1; }
    fprintf(m,
            "{\"packets\": %llu, \"bytes\": %llu, \"file_bytes\": %llu, \"profile\": \"%s\", "
            "\"format\": \"%s\", \"seed\": %llu, \"generator_version\": %d}\n",
            (unsigned long long)n_packets, (unsigned long long)frame_bytes,
            (unsigned long long)file_bytes, profile, format, (unsigned long long)seed, GEN_VERSION);
    fclose(m);
    return 0;
}

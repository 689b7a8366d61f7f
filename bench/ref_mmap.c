/*
 * ref_mmap.c - the "practical limit" reference reader for lmcap benchmarks.
 *
 *   ref_mmap [-t THREADS] FILE
 *
 * mmaps a pcap (any of the 4 magics: us/ns, either byte order) or a pcapng
 * file (one section, either byte order; EPB/SPB/obsolete PB), walks every
 * record, parses Ethernet -> 802.1Q/802.1ad/QinQ -> IPv4/IPv6 -> TCP/UDP and
 * hashes the 5-tuple of each packet.  The per-packet hashes are summed
 * (mod 2^64), so the result does not depend on how the work is split and the
 * compiler cannot drop the parsing.
 *
 * -t N (N > 1) splits the record walk into N byte ranges.  A pcap has no
 * index, so each split point is found by resynchronising: scan forward from
 * the nominal offset for a position where a chain of 64 consecutive record
 * headers is plausible (caplen <= snaplen, caplen <= origlen, sub-second field
 * in range, timestamps within a day of the first record) and lands exactly at
 * EOF if EOF is reached.  For pcapng a candidate must be an EPB whose leading
 * and trailing block lengths agree, again for a chain of 64 blocks.  Each
 * thread then walks [split_i, split_{i+1}).  The packet count and hash are
 * identical to -t 1 (the benchmark asserts the count).
 *
 * Prints: {"packets": N, "bytes": B, "hash": "0x...", "threads": T, "secs": S}
 * where B is the sum of captured lengths and S the time from open to munmap.
 *
 * Build: cc -O2 -march=native -pthread -o ref_mmap ref_mmap.c
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define CHAIN 64

static const uint8_t *base;
static size_t fsize;
static int is_ng, swapped, nsec;
static uint32_t snaplen;
static uint32_t first_ts;

static inline uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}
static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static inline uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

/* Parse one Ethernet frame and return the hash of its 5-tuple (0-tuple for
 * non-IP frames, addresses+proto only for non-first fragments). */
static inline uint64_t hash_frame(const uint8_t *p, uint32_t len) {
    uint64_t h = 0xcbf29ce484222325ULL;
    if (len < 14) return h;
    uint32_t o = 12;
    uint16_t et = be16(p + o);
    while ((et == 0x8100 || et == 0x88a8 || et == 0x9100) && o + 6 <= len) {
        o += 4;
        et = be16(p + o);
    }
    o += 2;
    uint8_t proto;
    uint32_t l4;
    if (et == 0x0800) {
        if (o + 20 > len) return mix(h, et);
        const uint8_t *ip = p + o;
        uint32_t ihl = (ip[0] & 0x0f) * 4u;
        proto = ip[9];
        uint32_t a, b;
        memcpy(&a, ip + 12, 4);
        memcpy(&b, ip + 16, 4);
        h = mix(h, ((uint64_t)a << 32) | b);
        h = mix(h, proto);
        if (be16(ip + 6) & 0x1fff) return h; /* non-first fragment: no ports */
        l4 = o + ihl;
    } else if (et == 0x86dd) {
        if (o + 40 > len) return mix(h, et);
        const uint8_t *ip = p + o;
        uint64_t w[4];
        memcpy(w, ip + 8, 32);
        h = mix(h, w[0]);
        h = mix(h, w[1]);
        h = mix(h, w[2]);
        h = mix(h, w[3]);
        proto = ip[6];
        l4 = o + 40;
        /* skip a few common extension headers */
        for (int i = 0; i < 4 && (proto == 0 || proto == 43 || proto == 60 || proto == 44); i++) {
            if (l4 + 8 > len) return mix(h, proto);
            uint8_t nh = p[l4];
            if (proto == 44) {
                if (be16(p + l4 + 2) & 0xfff8) return mix(h, 44);
                l4 += 8;
            } else {
                l4 += 8u + p[l4 + 1] * 8u;
            }
            proto = nh;
        }
        h = mix(h, proto);
    } else {
        return mix(h, et);
    }
    if ((proto == 6 || proto == 17) && l4 + 4 <= len) {
        uint32_t ports;
        memcpy(&ports, p + l4, 4);
        h = mix(h, ports);
    }
    return h;
}

typedef struct {
    size_t start, end;
    uint64_t packets, bytes, hash;
} range_t;

static void walk_pcap(range_t *r) {
    size_t off = r->start;
    uint64_t n = 0, bytes = 0, hsum = 0;
    while (off + 16 <= r->end) {
        const uint8_t *rh = base + off;
        uint32_t caplen = rd32(rh + 8);
        if (off + 16 + caplen > fsize) {
            fprintf(stderr, "truncated record at offset %zu\n", off);
            break;
        }
        hsum += hash_frame(rh + 16, caplen);
        n++;
        bytes += caplen;
        off += 16 + caplen;
    }
    r->packets = n;
    r->bytes = bytes;
    r->hash = hsum;
}

static void walk_pcapng(range_t *r) {
    size_t off = r->start;
    uint64_t n = 0, bytes = 0, hsum = 0;
    while (off + 12 <= r->end) {
        const uint8_t *b = base + off;
        uint32_t type = rd32(b), blen = rd32(b + 4);
        if (blen < 12 || (blen & 3) || off + blen > fsize) {
            fprintf(stderr, "bad block at offset %zu\n", off);
            break;
        }
        if (type == 6 || type == 2) { /* EPB / obsolete PB */
            uint32_t caplen = rd32(b + 20);
            if (28 + caplen + 4 > blen) { fprintf(stderr, "bad EPB at %zu\n", off); break; }
            hsum += hash_frame(b + 28, caplen);
            n++;
            bytes += caplen;
        } else if (type == 3) { /* SPB: caplen = min(origlen, snaplen, room) */
            uint32_t orig = rd32(b + 8), room = blen - 16;
            uint32_t caplen = orig < room ? orig : room;
            hsum += hash_frame(b + 12, caplen);
            n++;
            bytes += caplen;
        } else if (type == 0x0A0D0D0A && off != 0) {
            fprintf(stderr, "multiple sections are not supported\n");
            exit(1);
        }
        off += blen;
    }
    r->packets = n;
    r->bytes = bytes;
    r->hash = hsum;
}

static void *worker(void *arg) {
    range_t *r = arg;
    if (is_ng) walk_pcapng(r); else walk_pcap(r);
    return NULL;
}

/* Is `off` the start of a chain of CHAIN plausible records ending <= fsize? */
static int plausible_pcap(size_t off) {
    for (int i = 0; i < CHAIN; i++) {
        if (off == fsize) return 1;
        if (off + 16 > fsize) return 0;
        const uint8_t *rh = base + off;
        uint32_t ts = rd32(rh), sub = rd32(rh + 4), cap = rd32(rh + 8), orig = rd32(rh + 12);
        if (sub >= (nsec ? 1000000000u : 1000000u)) return 0;
        if (cap > snaplen || cap > orig || cap < 14 || orig > 262144u) return 0;
        if (ts + 86400u < first_ts || ts > first_ts + 86400u * 365u) return 0;
        off += 16 + cap;
    }
    return off <= fsize;
}
static int plausible_pcapng(size_t off) {
    for (int i = 0; i < CHAIN; i++) {
        if (off == fsize) return 1;
        if (off + 32 > fsize) return 0;
        uint32_t type = rd32(base + off), blen = rd32(base + off + 4);
        if (blen < 12 || (blen & 3) || off + blen > fsize) return 0;
        if (rd32(base + off + blen - 4) != blen) return 0;
        if (i == 0 && type != 6) return 0;
        if (type == 6 && 28u + rd32(base + off + 20) + 4 > blen) return 0;
        off += blen;
    }
    return 1;
}
static size_t resync(size_t from, size_t data_start) {
    if (from <= data_start) return data_start;
    size_t step = is_ng ? 4 : 1;
    if (is_ng) from = (from + 3) & ~(size_t)3; /* all pcapng blocks are 4-aligned */
    for (size_t off = from; off < fsize; off += step)
        if (is_ng ? plausible_pcapng(off) : plausible_pcap(off)) return off;
    return fsize;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = 1, opt;
    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt == 't') threads = atoi(optarg);
        else { fprintf(stderr, "usage: ref_mmap [-t THREADS] FILE\n"); return 2; }
    }
    if (optind >= argc || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: ref_mmap [-t THREADS] FILE\n");
        return 2;
    }
    double t0 = now();
    int fd = open(argv[optind], O_RDONLY);
    if (fd < 0) { perror(argv[optind]); return 1; }
    struct stat st;
    if (fstat(fd, &st)) { perror("fstat"); return 1; }
    fsize = (size_t)st.st_size;
    if (fsize < 24) { fprintf(stderr, "file too small\n"); return 1; }
    base = mmap(NULL, fsize, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 1; }
    madvise((void *)base, fsize, MADV_SEQUENTIAL);

    uint32_t magic;
    memcpy(&magic, base, 4);
    size_t data_start;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        swapped = 0; nsec = magic == 0xa1b23c4du; data_start = 24;
    } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        swapped = 1; nsec = magic == 0x4d3cb2a1u; data_start = 24;
    } else if (magic == 0x0A0D0D0Au) {
        is_ng = 1;
        uint32_t bom;
        memcpy(&bom, base + 8, 4);
        if (bom == 0x1A2B3C4Du) swapped = 0;
        else if (bom == 0x4D3C2B1Au) swapped = 1;
        else { fprintf(stderr, "bad pcapng byte-order magic\n"); return 1; }
        data_start = 0;
    } else {
        fprintf(stderr, "not a pcap/pcapng file\n");
        return 1;
    }
    if (!is_ng) {
        snaplen = rd32(base + 16);
        if (snaplen == 0 || snaplen > 262144u) snaplen = 262144u;
        first_ts = fsize >= 40 ? rd32(base + 24) : 0;
    }

    range_t r[MAX_THREADS];
    memset(r, 0, sizeof r);
    size_t span = (fsize - data_start) / (size_t)threads;
    size_t prev = data_start;
    for (int i = 0; i < threads; i++) {
        r[i].start = prev;
        size_t end = i + 1 == threads ? fsize : resync(data_start + span * (size_t)(i + 1), data_start);
        if (end < prev) end = prev;
        r[i].end = end;
        prev = end;
    }
    pthread_t tid[MAX_THREADS];
    for (int i = 1; i < threads; i++) pthread_create(&tid[i], NULL, worker, &r[i]);
    worker(&r[0]);
    uint64_t n = r[0].packets, bytes = r[0].bytes, h = r[0].hash;
    for (int i = 1; i < threads; i++) {
        pthread_join(tid[i], NULL);
        n += r[i].packets;
        bytes += r[i].bytes;
        h += r[i].hash;
    }
    munmap((void *)base, fsize);
    close(fd);
    double secs = now() - t0;
    printf("{\"packets\": %llu, \"bytes\": %llu, \"hash\": \"0x%016llx\", \"threads\": %d, "
           "\"secs\": %.6f}\n",
           (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)h, threads, secs);
    return 0;
}

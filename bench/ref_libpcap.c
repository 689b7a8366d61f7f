/*
 * ref_libpcap.c - plain libpcap reference reader for lmcap benchmarks.
 *
 *   ref_libpcap FILE
 *
 * pcap_open_offline + a pcap_next_ex loop that counts packets and captured
 * bytes (libpcap reads both pcap and pcapng).  No parsing beyond what libpcap
 * does itself: this is the "what every libpcap tool pays" baseline.
 *
 * Prints: {"packets": N, "bytes": B, "sink": X, "secs": S, "libpcap": "version"}
 *
 * Build: cc -O2 -march=native -o ref_libpcap ref_libpcap.c -lpcap
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ref_libpcap FILE\n");
        return 2;
    }
    double t0 = now();
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap_open_offline: %s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t n = 0, bytes = 0, sink = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        n++;
        bytes += h->caplen;
        sink += h->caplen ? data[h->caplen - 1] : 0; /* touch the data */
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_next_ex: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    double secs = now() - t0;
    printf("{\"packets\": %llu, \"bytes\": %llu, \"sink\": %llu, \"secs\": %.6f, "
           "\"libpcap\": \"%s\"}\n",
           (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)sink, secs,
           pcap_lib_version());
    return 0;
}

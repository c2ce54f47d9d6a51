/* Sends UDP datagrams with a forged source address through a raw socket (root only), for the tests that play an
 * attacker who spoofs the server's address (test/e2e/spoofing.test.ts).
 * Usage: spoof SRC_IP SRC_PORT DST_IP DST_PORT < datagrams   (stdin: one datagram per line, in hex)
 * Prints "sent N" and exits 0 once every datagram went out; a line on stderr and exit 1 otherwise. IPv4 only. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAYLOAD 65507

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: spoof SRC_IP SRC_PORT DST_IP DST_PORT < hex-lines\n");
        return 1;
    }
    struct in_addr src, dst;
    if (inet_pton(AF_INET, argv[1], &src) != 1 || inet_pton(AF_INET, argv[3], &dst) != 1) {
        fprintf(stderr, "spoof: addresses must be IPv4 literals\n");
        return 1;
    }
    uint16_t sport = (uint16_t)atoi(argv[2]), dport = (uint16_t)atoi(argv[4]);
    /* IPPROTO_RAW implies IP_HDRINCL: we write the IP header, with the source address we choose. */
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (s < 0) {
        perror("spoof: raw socket (root only)");
        return 1;
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
    static unsigned char packet[20 + 8 + MAX_PAYLOAD];
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int sent = 0;
    while ((got = getline(&line, &cap, stdin)) > 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) got--;
        if (got % 2 != 0 || got / 2 > MAX_PAYLOAD) {
            fprintf(stderr, "spoof: a line is not whole bytes of hex, or too long\n");
            return 1;
        }
        size_t n = (size_t)got / 2;
        unsigned char *payload = packet + 28;
        for (size_t i = 0; i < n; i++) {
            int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "spoof: not hex\n");
                return 1;
            }
            payload[i] = (unsigned char)(hi << 4 | lo);
        }
        size_t total = 28 + n;
        memset(packet, 0, 28);
        packet[0] = 0x45; /* IPv4, 20-byte header */
        packet[2] = (unsigned char)(total >> 8);
        packet[3] = (unsigned char)total;
        packet[8] = 64;            /* TTL */
        packet[9] = IPPROTO_UDP;   /* the kernel fills in the id and the header checksum */
        memcpy(packet + 12, &src, 4);
        memcpy(packet + 16, &dst, 4);
        packet[20] = (unsigned char)(sport >> 8);
        packet[21] = (unsigned char)sport;
        packet[22] = (unsigned char)(dport >> 8);
        packet[23] = (unsigned char)dport;
        packet[24] = (unsigned char)((8 + n) >> 8);
        packet[25] = (unsigned char)(8 + n);
        /* UDP checksum 0: none, which IPv4 allows */
        if (sendto(s, packet, total, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)total) {
            perror("spoof: sendto");
            return 1;
        }
        sent++;
    }
    free(line);
    close(s);
    printf("sent %d\n", sent);
    return 0;
}

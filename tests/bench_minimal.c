/* bench_minimal: the yardstick for `make bench`. An M/M/c queue simulated by
 * the smallest reasonable C event loop: a binary heap of (time, kind) events,
 * a counter for the queue, no components, no statistics but a sum of
 * response times. sdsim's speed is reported as a ratio to this.
 * Usage: bench_minimal C RHO REQUESTS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/rng.h"

struct ev {
    double t;
    double born; /* departure: arrival time of the request (FIFO) */
    int kind;    /* 0 arrival, 1 departure */
};

static struct ev *heap;
static size_t hn;

static void push(struct ev e)
{
    size_t i = hn++;
    while (i > 0 && heap[(i - 1) / 2].t > e.t) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = e;
}

static struct ev pop(void)
{
    struct ev top = heap[0], last = heap[--hn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hn)
            break;
        if (c + 1 < hn && heap[c + 1].t < heap[c].t)
            c++;
        if (heap[c].t >= last.t)
            break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = last;
    return top;
}

int main(int argc, char **argv)
{
    int c = argc > 1 ? atoi(argv[1]) : 10;
    double rho = argc > 2 ? atof(argv[2]) : 0.9;
    long n = argc > 3 ? atol(argv[3]) : 10000000;
    double lambda = rho * c;
    heap = malloc(sizeof *heap * (size_t)(c + 2));
    double *fifo = malloc(sizeof *fifo * 1024);
    size_t fcap = 1024, fhead = 0, flen = 0;
    struct rng r;
    rng_seed(&r, 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    push((struct ev){rng_exp(&r) / lambda, 0, 0});
    int busy = 0;
    long done = 0, events = 0;
    double sum = 0;
    while (done < n) {
        struct ev e = pop();
        events++;
        if (e.kind == 0) {
            push((struct ev){e.t + rng_exp(&r) / lambda, 0, 0});
            if (busy < c) {
                busy++;
                push((struct ev){e.t + rng_exp(&r), e.t, 1});
            } else {
                if (flen == fcap) {
                    double *nf = malloc(sizeof *nf * fcap * 2);
                    for (size_t i = 0; i < flen; i++)
                        nf[i] = fifo[(fhead + i) % fcap];
                    free(fifo);
                    fifo = nf;
                    fhead = 0;
                    fcap *= 2;
                }
                fifo[(fhead + flen++) % fcap] = e.t;
            }
        } else {
            done++;
            sum += e.t - e.born;
            if (flen > 0) {
                double born = fifo[fhead];
                fhead = (fhead + 1) % fcap;
                flen--;
                push((struct ev){e.t + rng_exp(&r), born, 1});
            } else {
                busy--;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("%.0f %.0f %.4f\n", (double)n / dt, (double)events / dt, sum / (double)n);
    free(heap);
    free(fifo);
    return 0;
}

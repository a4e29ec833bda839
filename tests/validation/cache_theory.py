#!/usr/bin/env python3
"""Hit ratios of LRU, FIFO and RANDOM caches under the independent reference
model with Zipf popularity, from the characteristic-time approximations. It
prints the rows of tests/validation/extra.csv that tests/validate checks
against sdsim (scenarios/validation/cache-che-*.ini). Standard library only.

LRU, Che's approximation (Che, Tung and Wang, IEEE JSAC 20(7), 2002; shown
asymptotically exact by Fricker, Robert and Roberts, ITC 2012): the
characteristic time T solves  sum_i (1 - exp(-p_i T)) = C  and the hit ratio
is  sum_i p_i (1 - exp(-p_i T)).

FIFO and RANDOM (Martina, Garetto and Leonardi, "A unified approach to the
performance analysis of caching systems", INFOCOM 2014; the same fixed point
as Dan and Towsley 1990 for FIFO and Gelenbe 1973 for RANDOM): the hit
probability of object i is  h_i = p_i T / (1 + p_i T)  with T solving
sum_i h_i = C, and the hit ratio is  sum_i p_i h_i.

Usage: python3 tests/validation/cache_theory.py  (prints CSV rows)
"""
import math

def zipf(n, s):
    w = [1.0 / (k ** s) for k in range(1, n + 1)]
    t = sum(w)
    return [x / t for x in w]

def solve(occupancy, c):
    lo, hi = 0.0, 1.0
    while occupancy(hi) < c:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if occupancy(mid) < c:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2

def che_lru(p, c):
    t = solve(lambda t: sum(-math.expm1(-q * t) for q in p), c)
    return sum(q * -math.expm1(-q * t) for q in p)

def fifo_random(p, c):
    t = solve(lambda t: sum(q * t / (1 + q * t) for q in p), c)
    return sum(q * q * t / (1 + q * t) for q in p)

def main():
    n, s = 100000, 0.8
    p = zipf(n, s)
    desc = '"Large cache, characteristic-time approximations (IRM)"'
    for c in (1000, 10000):
        params = f"N={n} objects;Zipf alpha={s};IRM;cache size C={c}"
        lru = che_lru(p, c)
        fr = fifo_random(p, c)
        print(f"CACHE-CHE-N1E5-C{c},{desc},{params},hit_ratio_LRU,{lru:.10g},abs=0.002;n>=1e7,"
              '"Che, Tung and Wang 2002: T solves sum(1-exp(-p_i T))=C; hit=sum p_i(1-exp(-p_i T)); '
              'approximation, asymptotically exact (Fricker, Robert and Roberts 2012)"')
        for pol in ("FIFO", "RANDOM"):
            print(f"CACHE-CHE-N1E5-C{c},{desc},{params},hit_ratio_{pol},{fr:.10g},abs=0.002;n>=1e7,"
                  '"Martina, Garetto and Leonardi 2014: h_i=p_i T/(1+p_i T), sum h_i=C; '
                  'hit=sum p_i h_i; approximation"')

if __name__ == "__main__":
    main()

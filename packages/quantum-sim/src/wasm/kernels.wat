;; SIMD kernels of @q-store/quantum-sim (WebAssembly text; `pnpm --filter @q-store/quantum-sim build:wasm`
;; regenerates kernels-wasm.ts from this file, and a test checks that the two agree).
;;
;; A state of 2^k amplitudes is interleaved at byte offset `base` of the (imported) memory: amplitude
;; i is the f64 pair (re, im) at base + 16·i, one v128. Qubit q is bit q of i. The memory is shared
;; (threads.ts runs the kernels on several threads over one state). All offsets and
;; comparisons are unsigned, so states may sit anywhere in a 4 GiB memory.
;;
;; A complex product c·v with c = (cr, ci) and v = (vr, vi) is splat(cr)·v + (−ci, ci)·swap(v),
;; where swap exchanges the two lanes (written out as an i8x16.shuffle in the loops: V8 does not
;; inline calls between WebAssembly functions, and a call per amplitude halves the speed).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; (−c, c) as a v128
  (func $negpos (param $c f64) (result v128)
    (f64x2.replace_lane 0 (f64x2.splat (local.get $c)) (f64.neg (local.get $c))))

  ;; Real 2×2 [[m00, m01], [m10, m11]] on qubit t.
  (func (export "r1") (param $base i32) (param $dim i32) (param $t i32)
    (param $m00 f64) (param $m01 f64) (param $m10 f64) (param $m11 f64)
    (call $rrange (local.get $base) (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))) (local.get $t)
      (i32.shl (local.get $dim) (i32.const 4)) (i32.const 0)
      (f64x2.splat (local.get $m00)) (f64x2.splat (local.get $m01)) (f64x2.splat (local.get $m10)) (f64x2.splat (local.get $m11))))

  ;; $range for a real 2×2 (constants: splats of m00, m01, m10, m11).
  (func $rrange (param $b i32) (param $stop i32) (param $t i32) (param $len i32) (param $skip i32)
    (param $a00 v128) (param $a01 v128) (param $a10 v128) (param $a11 v128)
    (local $off i32) (local $p i32) (local $end i32) (local $segEnd i32) (local $x v128) (local $y v128)
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (loop $segs
      (local.set $segEnd (i32.add (local.get $b) (local.get $len)))
      (if (i32.eqz (local.get $t))
        (then
          (loop $flat
            (local.set $x (v128.load (local.get $b)))
            (local.set $y (v128.load (i32.add (local.get $b) (i32.const 16))))
            (v128.store (local.get $b)
              (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
            (v128.store (i32.add (local.get $b) (i32.const 16))
              (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
            (local.set $b (i32.add (local.get $b) (i32.const 32)))
            (br_if $flat (i32.lt_u (local.get $b) (local.get $segEnd)))))
        (else
          (if (i32.eq (local.get $t) (i32.const 1))
            (then
              (loop $flat1
                (local.set $x (v128.load (i32.add (local.get $b) (i32.const 0))))
                (local.set $y (v128.load (i32.add (local.get $b) (i32.const 32))))
                (v128.store (i32.add (local.get $b) (i32.const 0))
                  (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
                (v128.store (i32.add (local.get $b) (i32.const 32))
                  (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
                (local.set $x (v128.load (i32.add (local.get $b) (i32.const 16))))
                (local.set $y (v128.load (i32.add (local.get $b) (i32.const 48))))
                (v128.store (i32.add (local.get $b) (i32.const 16))
                  (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
                (v128.store (i32.add (local.get $b) (i32.const 48))
                  (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
                (local.set $b (i32.add (local.get $b) (i32.const 64)))
                (br_if $flat1 (i32.lt_u (local.get $b) (local.get $segEnd)))))
            (else
              (loop $outer
                (local.set $p (local.get $b))
                (local.set $end (i32.add (local.get $b) (local.get $off)))
                (loop $inner
                  (local.set $x (v128.load (local.get $p)))
                  (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
                  (v128.store (local.get $p)
                    (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
                  (v128.store (i32.add (local.get $p) (local.get $off))
                    (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
                  (local.set $p (i32.add (local.get $p) (i32.const 16)))
                  (br_if $inner (i32.lt_u (local.get $p) (local.get $end))))
                (local.set $b (i32.add (local.get $b) (i32.shl (local.get $off) (i32.const 1))))
                (br_if $outer (i32.lt_u (local.get $b) (local.get $segEnd))))))))
      (local.set $b (i32.add (local.get $segEnd) (local.get $skip)))
      (br_if $segs (i32.lt_u (local.get $b) (local.get $stop)))))

  ;; $runs for a real 2×2.
  (func $rruns (param $b i32) (param $stop i32) (param $off i32) (param $seg i32)
    (param $a00 v128) (param $a01 v128) (param $a10 v128) (param $a11 v128)
    (local $s i32) (local $blockEnd i32) (local $p i32) (local $end i32) (local $x v128) (local $y v128)
    (loop $blocks
      (local.set $s (local.get $b))
      (local.set $blockEnd (i32.add (local.get $b) (local.get $off)))
      (loop $each
        (local.set $p (local.get $s))
        (local.set $end (i32.add (local.get $s) (local.get $seg)))
        (loop $inner
          (local.set $x (v128.load (local.get $p)))
          (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
          (v128.store (local.get $p)
            (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
          (v128.store (i32.add (local.get $p) (local.get $off))
            (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $s (i32.add (local.get $s) (i32.shl (local.get $seg) (i32.const 1))))
        (br_if $each (i32.lt_u (local.get $s) (local.get $blockEnd))))
      (local.set $b (i32.add (local.get $b) (i32.shl (local.get $off) (i32.const 1))))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $stop)))))

  ;; The real mux: m0 (real 2×2) where bit c is 0, m1 where it is 1 (a CNOT folded into a real 2×2),
  ;; with r1's instructions per amplitude; two sweeps as in mux.
  (func (export "muxr") (param $base i32) (param $dim i32) (param $t i32) (param $c i32)
    (param $m00 f64) (param $m01 f64) (param $m10 f64) (param $m11 f64)
    (param $n00 f64) (param $n01 f64) (param $n10 f64) (param $n11 f64)
    (local $off i32) (local $stop i32) (local $seg i32)
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $seg (i32.shl (i32.const 16) (local.get $c)))
    (local.set $stop (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))))
    (if (i32.gt_u (local.get $c) (local.get $t))
      (then
        (call $rrange (local.get $base) (local.get $stop) (local.get $t) (local.get $seg) (local.get $seg)
          (f64x2.splat (local.get $m00)) (f64x2.splat (local.get $m01)) (f64x2.splat (local.get $m10)) (f64x2.splat (local.get $m11)))
        (call $rrange (i32.add (local.get $base) (local.get $seg)) (local.get $stop) (local.get $t) (local.get $seg) (local.get $seg)
          (f64x2.splat (local.get $n00)) (f64x2.splat (local.get $n01)) (f64x2.splat (local.get $n10)) (f64x2.splat (local.get $n11)))
        (return)))
    (call $rruns (local.get $base) (local.get $stop) (local.get $off) (local.get $seg)
      (f64x2.splat (local.get $m00)) (f64x2.splat (local.get $m01)) (f64x2.splat (local.get $m10)) (f64x2.splat (local.get $m11)))
    (call $rruns (i32.add (local.get $base) (local.get $seg)) (local.get $stop) (local.get $off) (local.get $seg)
      (f64x2.splat (local.get $n00)) (f64x2.splat (local.get $n01)) (f64x2.splat (local.get $n10)) (f64x2.splat (local.get $n11))))

  ;; General complex 2×2 on qubit t.
  (func (export "u1") (param $base i32) (param $dim i32) (param $t i32)
    (param $m00r f64) (param $m00i f64) (param $m01r f64) (param $m01i f64)
    (param $m10r f64) (param $m10i f64) (param $m11r f64) (param $m11i f64)
    (call $range (local.get $base) (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))) (local.get $t)
      (i32.shl (local.get $dim) (i32.const 4)) (i32.const 0)
      (f64x2.splat (local.get $m00r)) (call $negpos (local.get $m00i))
      (f64x2.splat (local.get $m01r)) (call $negpos (local.get $m01i))
      (f64x2.splat (local.get $m10r)) (call $negpos (local.get $m10i))
      (f64x2.splat (local.get $m11r)) (call $negpos (local.get $m11i))))

  ;; The 2×2 with constants a (splat of the real parts) and b ((−im, im) of the imaginary parts) on
  ;; qubit t over the segments [b, b + len), [b + len + skip, …) up to stop (each a whole number of
  ;; blocks of 2^(t+1)): the u1 kernel's loops (one segment) and mux's (the halves of the control's
  ;; blocks). Qubits 0 and 1 walk each segment in one flat loop.
  (func $range (param $b i32) (param $stop i32) (param $t i32) (param $len i32) (param $skip i32)
    (param $a00 v128) (param $b00 v128) (param $a01 v128) (param $b01 v128)
    (param $a10 v128) (param $b10 v128) (param $a11 v128) (param $b11 v128)
    (local $off i32) (local $p i32) (local $end i32) (local $segEnd i32)
    (local $x v128) (local $y v128) (local $xs v128) (local $ys v128)
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (loop $segs
      (local.set $segEnd (i32.add (local.get $b) (local.get $len)))
      (if (i32.eqz (local.get $t))
        (then
          (loop $flat
            (local.set $x (v128.load (local.get $b)))
            (local.set $y (v128.load (i32.add (local.get $b) (i32.const 16))))
            (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
            (local.set $ys (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
            (v128.store (local.get $b)
              (f64x2.add
                (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $b00) (local.get $xs)))
                (f64x2.add (f64x2.mul (local.get $a01) (local.get $y)) (f64x2.mul (local.get $b01) (local.get $ys)))))
            (v128.store (i32.add (local.get $b) (i32.const 16))
              (f64x2.add
                (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $b10) (local.get $xs)))
                (f64x2.add (f64x2.mul (local.get $a11) (local.get $y)) (f64x2.mul (local.get $b11) (local.get $ys)))))
            (local.set $b (i32.add (local.get $b) (i32.const 32)))
            (br_if $flat (i32.lt_u (local.get $b) (local.get $segEnd)))))
        (else
          (if (i32.eq (local.get $t) (i32.const 1))
            (then
              (loop $flat1
                (local.set $x (v128.load (i32.add (local.get $b) (i32.const 0))))
                (local.set $y (v128.load (i32.add (local.get $b) (i32.const 32))))
                (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
                (local.set $ys (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
                (v128.store (i32.add (local.get $b) (i32.const 0))
                  (f64x2.add
                    (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $b00) (local.get $xs)))
                    (f64x2.add (f64x2.mul (local.get $a01) (local.get $y)) (f64x2.mul (local.get $b01) (local.get $ys)))))
                (v128.store (i32.add (local.get $b) (i32.const 32))
                  (f64x2.add
                    (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $b10) (local.get $xs)))
                    (f64x2.add (f64x2.mul (local.get $a11) (local.get $y)) (f64x2.mul (local.get $b11) (local.get $ys)))))
                (local.set $x (v128.load (i32.add (local.get $b) (i32.const 16))))
                (local.set $y (v128.load (i32.add (local.get $b) (i32.const 48))))
                (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
                (local.set $ys (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
                (v128.store (i32.add (local.get $b) (i32.const 16))
                  (f64x2.add
                    (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $b00) (local.get $xs)))
                    (f64x2.add (f64x2.mul (local.get $a01) (local.get $y)) (f64x2.mul (local.get $b01) (local.get $ys)))))
                (v128.store (i32.add (local.get $b) (i32.const 48))
                  (f64x2.add
                    (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $b10) (local.get $xs)))
                    (f64x2.add (f64x2.mul (local.get $a11) (local.get $y)) (f64x2.mul (local.get $b11) (local.get $ys)))))
                (local.set $b (i32.add (local.get $b) (i32.const 64)))
                (br_if $flat1 (i32.lt_u (local.get $b) (local.get $segEnd)))))
            (else
              (loop $outer
                (local.set $p (local.get $b))
                (local.set $end (i32.add (local.get $b) (local.get $off)))
                (loop $inner
                  (local.set $x (v128.load (local.get $p)))
                  (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
                  (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
                  (local.set $ys (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
                  (v128.store (local.get $p)
                    (f64x2.add
                      (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $b00) (local.get $xs)))
                      (f64x2.add (f64x2.mul (local.get $a01) (local.get $y)) (f64x2.mul (local.get $b01) (local.get $ys)))))
                  (v128.store (i32.add (local.get $p) (local.get $off))
                    (f64x2.add
                      (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $b10) (local.get $xs)))
                      (f64x2.add (f64x2.mul (local.get $a11) (local.get $y)) (f64x2.mul (local.get $b11) (local.get $ys)))))
                  (local.set $p (i32.add (local.get $p) (i32.const 16)))
                  (br_if $inner (i32.lt_u (local.get $p) (local.get $end))))
                (local.set $b (i32.add (local.get $b) (i32.shl (local.get $off) (i32.const 1))))
                (br_if $outer (i32.lt_u (local.get $b) (local.get $segEnd))))))))
      (local.set $b (i32.add (local.get $segEnd) (local.get $skip)))
      (br_if $segs (i32.lt_u (local.get $b) (local.get $stop)))))

  ;; The 2×2 with constants as in $range on the pairs (p, p + off) for p in the runs [s, s + seg) with
  ;; s = b, b + 2·seg, … inside each block [b, b + off) of 2^(t+1) amplitudes, from b up to stop:
  ;; mux's half with the control bit c < t clear (or set, from b + seg), one call for the whole state.
  (func $runs (param $b i32) (param $stop i32) (param $off i32) (param $seg i32)
    (param $a00 v128) (param $b00 v128) (param $a01 v128) (param $b01 v128)
    (param $a10 v128) (param $b10 v128) (param $a11 v128) (param $b11 v128)
    (local $s i32) (local $blockEnd i32) (local $p i32) (local $end i32)
    (local $x v128) (local $y v128) (local $xs v128) (local $ys v128)
    (loop $blocks
      (local.set $s (local.get $b))
      (local.set $blockEnd (i32.add (local.get $b) (local.get $off)))
      (loop $each
        (local.set $p (local.get $s))
        (local.set $end (i32.add (local.get $s) (local.get $seg)))
        (loop $inner
          (local.set $x (v128.load (local.get $p)))
          (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
          (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (local.set $ys (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
          (v128.store (local.get $p)
            (f64x2.add
              (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $b00) (local.get $xs)))
              (f64x2.add (f64x2.mul (local.get $a01) (local.get $y)) (f64x2.mul (local.get $b01) (local.get $ys)))))
          (v128.store (i32.add (local.get $p) (local.get $off))
            (f64x2.add
              (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $b10) (local.get $xs)))
              (f64x2.add (f64x2.mul (local.get $a11) (local.get $y)) (f64x2.mul (local.get $b11) (local.get $ys)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $s (i32.add (local.get $s) (i32.shl (local.get $seg) (i32.const 1))))
        (br_if $each (i32.lt_u (local.get $s) (local.get $blockEnd))))
      (local.set $b (i32.add (local.get $b) (i32.shl (local.get $off) (i32.const 1))))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $stop)))))

  ;; diag(d0, d1) on qubit t.
  (func (export "d1") (param $base i32) (param $dim i32) (param $t i32)
    (param $d0r f64) (param $d0i f64) (param $d1r f64) (param $d1i f64)
    (local $off i32) (local $b i32) (local $p i32) (local $end i32) (local $stop i32) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $c0 v128) (local $c1 v128)
    (local.set $a0 (f64x2.splat (local.get $d0r)))
    (local.set $c0 (call $negpos (local.get $d0i)))
    (local.set $a1 (f64x2.splat (local.get $d1r)))
    (local.set $c1 (call $negpos (local.get $d1i)))
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $b (local.get $base))
    (local.set $stop (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))))
    ;; qubit 0: d0 and d1 alternate, walked in one loop
    (if (i32.eqz (local.get $t))
      (then
        (loop $flat
          (local.set $x (v128.load (local.get $b)))
          (v128.store (local.get $b)
            (f64x2.add (f64x2.mul (local.get $a0) (local.get $x)) (f64x2.mul (local.get $c0) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $x (v128.load (i32.add (local.get $b) (i32.const 16))))
          (v128.store (i32.add (local.get $b) (i32.const 16))
            (f64x2.add (f64x2.mul (local.get $a1) (local.get $x)) (f64x2.mul (local.get $c1) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $flat (i32.lt_u (local.get $b) (local.get $stop))))
        (return)))
    ;; qubit 1: two pairs per four amplitudes, walked in one loop
    (if (i32.eq (local.get $t) (i32.const 1))
      (then
        (loop $flat1
          (local.set $x (v128.load (i32.add (local.get $b) (i32.const 0))))
          (v128.store (i32.add (local.get $b) (i32.const 0))
            (f64x2.add (f64x2.mul (local.get $a0) (local.get $x)) (f64x2.mul (local.get $c0) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $x (v128.load (i32.add (local.get $b) (i32.const 16))))
          (v128.store (i32.add (local.get $b) (i32.const 16))
            (f64x2.add (f64x2.mul (local.get $a0) (local.get $x)) (f64x2.mul (local.get $c0) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $x (v128.load (i32.add (local.get $b) (i32.const 32))))
          (v128.store (i32.add (local.get $b) (i32.const 32))
            (f64x2.add (f64x2.mul (local.get $a1) (local.get $x)) (f64x2.mul (local.get $c1) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $x (v128.load (i32.add (local.get $b) (i32.const 48))))
          (v128.store (i32.add (local.get $b) (i32.const 48))
            (f64x2.add (f64x2.mul (local.get $a1) (local.get $x)) (f64x2.mul (local.get $c1) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $b (i32.add (local.get $b) (i32.const 64)))
          (br_if $flat1 (i32.lt_u (local.get $b) (local.get $stop))))
        (return)))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $b) (local.get $stop)))
        (local.set $p (local.get $b))
        (local.set $end (i32.add (local.get $b) (local.get $off)))
        (loop $lo
          (local.set $x (v128.load (local.get $p)))
          (v128.store (local.get $p)
            (f64x2.add (f64x2.mul (local.get $a0) (local.get $x)) (f64x2.mul (local.get $c0) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $lo (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $end (i32.add (local.get $p) (local.get $off)))
        (loop $hi
          (local.set $x (v128.load (local.get $p)))
          (v128.store (local.get $p)
            (f64x2.add (f64x2.mul (local.get $a1) (local.get $x)) (f64x2.mul (local.get $c1) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $hi (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $b (local.get $p))
        (br $outer))))

  ;; CNOT: swaps amplitudes i and i | 2^t for every i with bit c set and bit t clear. The indices
  ;; with both bits clear form runs of 2^lo (lo, hi: the lower and higher of c and t); the kernel
  ;; walks max(1, dim / 2^(lo+2)) runs in order (threads.ts passes a smaller dim, or one run, to do
  ;; part of a state) by three nested loops: blocks of 2^(hi+1), runs inside a block, amplitudes of
  ;; a run; with lo = 0 the runs are single pairs, walked in one loop (and with c, t = 0, 1 one pair
  ;; per four amplitudes).
  (func (export "cx") (param $base i32) (param $dim i32) (param $c i32) (param $t i32)
    (local $lo i32) (local $hi i32) (local $offt i32) (local $hb i32) (local $r i32)
    (local $hspan i32) (local $lspan i32) (local $m i32) (local $mend i32) (local $p i32) (local $end i32)
    (local $x v128)
    (local.set $lo (select (local.get $c) (local.get $t) (i32.lt_u (local.get $c) (local.get $t))))
    (local.set $hi (select (local.get $t) (local.get $c) (i32.lt_u (local.get $c) (local.get $t))))
    (local.set $offt (i32.shl (i32.const 16) (local.get $t)))
    (local.set $hspan (i32.shl (i32.const 16) (local.get $hi)))
    (local.set $lspan (i32.shl (i32.const 16) (local.get $lo)))
    (local.set $hb (i32.add (local.get $base) (i32.shl (i32.const 16) (local.get $c))))
    (local.set $r (i32.shr_u (local.get $dim) (i32.add (local.get $lo) (i32.const 2))))
    (if (i32.eqz (local.get $r)) (then (local.set $r (i32.const 1))))
    (if (i32.and (i32.eqz (local.get $lo)) (i32.eq (local.get $hi) (i32.const 1)))
      (then
        (loop $quads
          (local.set $x (v128.load (local.get $hb)))
          (v128.store (local.get $hb) (v128.load (i32.add (local.get $hb) (local.get $offt))))
          (v128.store (i32.add (local.get $hb) (local.get $offt)) (local.get $x))
          (local.set $hb (i32.add (local.get $hb) (i32.const 64)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $quads (local.get $r)))
        (return)))
    (loop $blocks
      (local.set $m (local.get $hb))
      (local.set $mend (i32.add (local.get $hb) (local.get $hspan)))
      (if (i32.eqz (local.get $lo))
        (then
          (loop $pairs
            (local.set $x (v128.load (local.get $m)))
            (v128.store (local.get $m) (v128.load (i32.add (local.get $m) (local.get $offt))))
            (v128.store (i32.add (local.get $m) (local.get $offt)) (local.get $x))
            (local.set $m (i32.add (local.get $m) (i32.const 32)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br_if $pairs (i32.and (i32.ne (local.get $r) (i32.const 0)) (i32.lt_u (local.get $m) (local.get $mend))))))
        (else
          (loop $runs
            (local.set $p (local.get $m))
            (local.set $end (i32.add (local.get $m) (local.get $lspan)))
            (loop $inner
              (local.set $x (v128.load (local.get $p)))
              (v128.store (local.get $p) (v128.load (i32.add (local.get $p) (local.get $offt))))
              (v128.store (i32.add (local.get $p) (local.get $offt)) (local.get $x))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br_if $inner (i32.lt_u (local.get $p) (local.get $end))))
            (local.set $m (i32.add (local.get $m) (i32.shl (local.get $lspan) (i32.const 1))))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br_if $runs (i32.and (i32.ne (local.get $r) (i32.const 0)) (i32.lt_u (local.get $m) (local.get $mend)))))))
      (local.set $hb (i32.add (local.get $hb) (i32.shl (local.get $hspan) (i32.const 1))))
      (br_if $blocks (local.get $r))))

  ;; General complex 4×4 on qubits (q0, q1) (matrix index bit 0 = q0), the matrix as 16 (re, im)
  ;; f64 pairs row-major at byte offset $m. For each quadruple of amplitudes (bits q0, q1 = 00, 01,
  ;; 10, 11) y_r = Σ_c M_rc·x_c; consecutive indices below the lower qubit form runs of memory.
  (func (export "u2") (param $base i32) (param $dim i32) (param $q0 i32) (param $q1 i32) (param $m i32)
    (local $lo i32) (local $hi i32) (local $run i32) (local $count i32) (local $k i32) (local $idx i32)
    (local $p i32) (local $end i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $x0 v128) (local $s0 v128) (local $x1 v128) (local $s1 v128) (local $x2 v128) (local $s2 v128) (local $x3 v128) (local $s3 v128)
    (local $a00 v128) (local $b00 v128) (local $a01 v128) (local $b01 v128) (local $a02 v128) (local $b02 v128) (local $a03 v128) (local $b03 v128) (local $a10 v128) (local $b10 v128) (local $a11 v128) (local $b11 v128) (local $a12 v128) (local $b12 v128) (local $a13 v128) (local $b13 v128) (local $a20 v128) (local $b20 v128) (local $a21 v128) (local $b21 v128) (local $a22 v128) (local $b22 v128) (local $a23 v128) (local $b23 v128) (local $a30 v128) (local $b30 v128) (local $a31 v128) (local $b31 v128) (local $a32 v128) (local $b32 v128) (local $a33 v128) (local $b33 v128)
    (local.set $a00 (f64x2.splat (f64.load offset=0 (local.get $m))))
    (local.set $b00 (call $negpos (f64.load offset=8 (local.get $m))))
    (local.set $a01 (f64x2.splat (f64.load offset=16 (local.get $m))))
    (local.set $b01 (call $negpos (f64.load offset=24 (local.get $m))))
    (local.set $a02 (f64x2.splat (f64.load offset=32 (local.get $m))))
    (local.set $b02 (call $negpos (f64.load offset=40 (local.get $m))))
    (local.set $a03 (f64x2.splat (f64.load offset=48 (local.get $m))))
    (local.set $b03 (call $negpos (f64.load offset=56 (local.get $m))))
    (local.set $a10 (f64x2.splat (f64.load offset=64 (local.get $m))))
    (local.set $b10 (call $negpos (f64.load offset=72 (local.get $m))))
    (local.set $a11 (f64x2.splat (f64.load offset=80 (local.get $m))))
    (local.set $b11 (call $negpos (f64.load offset=88 (local.get $m))))
    (local.set $a12 (f64x2.splat (f64.load offset=96 (local.get $m))))
    (local.set $b12 (call $negpos (f64.load offset=104 (local.get $m))))
    (local.set $a13 (f64x2.splat (f64.load offset=112 (local.get $m))))
    (local.set $b13 (call $negpos (f64.load offset=120 (local.get $m))))
    (local.set $a20 (f64x2.splat (f64.load offset=128 (local.get $m))))
    (local.set $b20 (call $negpos (f64.load offset=136 (local.get $m))))
    (local.set $a21 (f64x2.splat (f64.load offset=144 (local.get $m))))
    (local.set $b21 (call $negpos (f64.load offset=152 (local.get $m))))
    (local.set $a22 (f64x2.splat (f64.load offset=160 (local.get $m))))
    (local.set $b22 (call $negpos (f64.load offset=168 (local.get $m))))
    (local.set $a23 (f64x2.splat (f64.load offset=176 (local.get $m))))
    (local.set $b23 (call $negpos (f64.load offset=184 (local.get $m))))
    (local.set $a30 (f64x2.splat (f64.load offset=192 (local.get $m))))
    (local.set $b30 (call $negpos (f64.load offset=200 (local.get $m))))
    (local.set $a31 (f64x2.splat (f64.load offset=208 (local.get $m))))
    (local.set $b31 (call $negpos (f64.load offset=216 (local.get $m))))
    (local.set $a32 (f64x2.splat (f64.load offset=224 (local.get $m))))
    (local.set $b32 (call $negpos (f64.load offset=232 (local.get $m))))
    (local.set $a33 (f64x2.splat (f64.load offset=240 (local.get $m))))
    (local.set $b33 (call $negpos (f64.load offset=248 (local.get $m))))
    (local.set $lo (select (local.get $q0) (local.get $q1) (i32.lt_u (local.get $q0) (local.get $q1))))
    (local.set $hi (select (local.get $q1) (local.get $q0) (i32.lt_u (local.get $q0) (local.get $q1))))
    (local.set $run (i32.shl (i32.const 1) (local.get $lo)))
    (local.set $count (i32.shr_u (local.get $dim) (i32.const 2)))
    (local.set $o1 (i32.shl (i32.const 16) (local.get $q0)))
    (local.set $o2 (i32.shl (i32.const 16) (local.get $q1)))
    (local.set $o3 (i32.add (local.get $o1) (local.get $o2)))
    (local.set $k (i32.const 0))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (local.set $idx (i32.shl (local.get $k) (i32.const 1)))
        (local.set $idx
          (i32.or
            (i32.shl (i32.shr_u (local.get $idx) (local.get $hi)) (i32.add (local.get $hi) (i32.const 1)))
            (i32.and (local.get $idx) (i32.sub (i32.shl (i32.const 1) (local.get $hi)) (i32.const 1)))))
        (local.set $p (i32.add (local.get $base) (i32.shl (local.get $idx) (i32.const 4))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $run) (i32.const 4))))
        (loop $inner
          (local.set $x0 (v128.load (local.get $p)))
          (local.set $s0 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x0) (local.get $x0)))
          (local.set $x1 (v128.load (i32.add (local.get $p) (local.get $o1))))
          (local.set $s1 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x1) (local.get $x1)))
          (local.set $x2 (v128.load (i32.add (local.get $p) (local.get $o2))))
          (local.set $s2 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x2) (local.get $x2)))
          (local.set $x3 (v128.load (i32.add (local.get $p) (local.get $o3))))
          (local.set $s3 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x3) (local.get $x3)))
          (v128.store (local.get $p)
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $a00) (local.get $x0)) (f64x2.mul (local.get $b00) (local.get $s0))) (f64x2.add (f64x2.mul (local.get $a01) (local.get $x1)) (f64x2.mul (local.get $b01) (local.get $s1))))
              (f64x2.add (f64x2.add (f64x2.mul (local.get $a02) (local.get $x2)) (f64x2.mul (local.get $b02) (local.get $s2))) (f64x2.add (f64x2.mul (local.get $a03) (local.get $x3)) (f64x2.mul (local.get $b03) (local.get $s3))))))
          (v128.store (i32.add (local.get $p) (local.get $o1))
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $a10) (local.get $x0)) (f64x2.mul (local.get $b10) (local.get $s0))) (f64x2.add (f64x2.mul (local.get $a11) (local.get $x1)) (f64x2.mul (local.get $b11) (local.get $s1))))
              (f64x2.add (f64x2.add (f64x2.mul (local.get $a12) (local.get $x2)) (f64x2.mul (local.get $b12) (local.get $s2))) (f64x2.add (f64x2.mul (local.get $a13) (local.get $x3)) (f64x2.mul (local.get $b13) (local.get $s3))))))
          (v128.store (i32.add (local.get $p) (local.get $o2))
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $a20) (local.get $x0)) (f64x2.mul (local.get $b20) (local.get $s0))) (f64x2.add (f64x2.mul (local.get $a21) (local.get $x1)) (f64x2.mul (local.get $b21) (local.get $s1))))
              (f64x2.add (f64x2.add (f64x2.mul (local.get $a22) (local.get $x2)) (f64x2.mul (local.get $b22) (local.get $s2))) (f64x2.add (f64x2.mul (local.get $a23) (local.get $x3)) (f64x2.mul (local.get $b23) (local.get $s3))))))
          (v128.store (i32.add (local.get $p) (local.get $o3))
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $a30) (local.get $x0)) (f64x2.mul (local.get $b30) (local.get $s0))) (f64x2.add (f64x2.mul (local.get $a31) (local.get $x1)) (f64x2.mul (local.get $b31) (local.get $s1))))
              (f64x2.add (f64x2.add (f64x2.mul (local.get $a32) (local.get $x2)) (f64x2.mul (local.get $b32) (local.get $s2))) (f64x2.add (f64x2.mul (local.get $a33) (local.get $x3)) (f64x2.mul (local.get $b33) (local.get $s3))))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $k (i32.add (local.get $k) (local.get $run)))
        (br $outer))))

  ;; Re⟨a|b⟩ = Σ_i (a_re·b_re + a_im·b_im) over dim amplitudes.
  (func (export "dotre") (param $a i32) (param $b i32) (param $dim i32) (result f64)
    (local $acc v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $dim) (i32.const 4))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc
          (f64x2.add (local.get $acc) (f64x2.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; --- threads.ts: ops on a top qubit split by a lower index bit ---
  ;; The u1 / r1 of qubit t on one run of pairs: (p, p + 2^t) for the len amplitudes p from base on
  ;; (same instructions per amplitude as u1 / r1, so a run cut into parts gives the same bits).
  (func (export "u1span") (param $base i32) (param $len i32) (param $t i32)
    (param $m00r f64) (param $m00i f64) (param $m01r f64) (param $m01i f64)
    (param $m10r f64) (param $m10i f64) (param $m11r f64) (param $m11i f64)
    (local $off i32) (local $p i32) (local $end i32)
    (local $x v128) (local $y v128) (local $xs v128) (local $ys v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $b00 v128) (local $b01 v128) (local $b10 v128) (local $b11 v128)
    (local.set $a00 (f64x2.splat (local.get $m00r)))
    (local.set $a01 (f64x2.splat (local.get $m01r)))
    (local.set $a10 (f64x2.splat (local.get $m10r)))
    (local.set $a11 (f64x2.splat (local.get $m11r)))
    (local.set $b00 (call $negpos (local.get $m00i)))
    (local.set $b01 (call $negpos (local.get $m01i)))
    (local.set $b10 (call $negpos (local.get $m10i)))
    (local.set $b11 (call $negpos (local.get $m11i)))
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $p (local.get $base))
    (local.set $end (i32.add (local.get $base) (i32.shl (local.get $len) (i32.const 4))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then (loop $inner
        (local.set $x (v128.load (local.get $p)))
        (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
        (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
        (local.set $ys (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
        (v128.store (local.get $p)
          (f64x2.add
            (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $b00) (local.get $xs)))
            (f64x2.add (f64x2.mul (local.get $a01) (local.get $y)) (f64x2.mul (local.get $b01) (local.get $ys)))))
        (v128.store (i32.add (local.get $p) (local.get $off))
          (f64x2.add
            (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $b10) (local.get $xs)))
            (f64x2.add (f64x2.mul (local.get $a11) (local.get $y)) (f64x2.mul (local.get $b11) (local.get $ys)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $inner (i32.lt_u (local.get $p) (local.get $end)))))))

  ;; A multiplexed 2×2 on qubit t: matrix m0 on the pairs whose bit c is 0, m1 where it is 1 (a CNOT
  ;; folded into the 2×2 on its target: m1 = X·m0, or m0·X when the CNOT comes first). The same
  ;; instructions per amplitude as u1, so the result is bit-identical to the 2×2 and the CNOT apart.
  ;; Two sweeps, one per matrix ($range over the halves of the control's blocks, or $runs).
  (func (export "mux") (param $base i32) (param $dim i32) (param $t i32) (param $c i32)
    (param $m00r f64) (param $m00i f64) (param $m01r f64) (param $m01i f64)
    (param $m10r f64) (param $m10i f64) (param $m11r f64) (param $m11i f64)
    (param $n00r f64) (param $n00i f64) (param $n01r f64) (param $n01i f64)
    (param $n10r f64) (param $n10i f64) (param $n11r f64) (param $n11i f64)
    (local $a00 v128) (local $b00 v128) (local $a01 v128) (local $b01 v128)
    (local $a10 v128) (local $b10 v128) (local $a11 v128) (local $b11 v128)
    (local $e00 v128) (local $f00 v128) (local $e01 v128) (local $f01 v128)
    (local $e10 v128) (local $f10 v128) (local $e11 v128) (local $f11 v128)
    (local $off i32) (local $stop i32) (local $seg i32) (local $b i32)
    (local.set $a00 (f64x2.splat (local.get $m00r)))
    (local.set $b00 (call $negpos (local.get $m00i)))
    (local.set $a01 (f64x2.splat (local.get $m01r)))
    (local.set $b01 (call $negpos (local.get $m01i)))
    (local.set $a10 (f64x2.splat (local.get $m10r)))
    (local.set $b10 (call $negpos (local.get $m10i)))
    (local.set $a11 (f64x2.splat (local.get $m11r)))
    (local.set $b11 (call $negpos (local.get $m11i)))
    (local.set $e00 (f64x2.splat (local.get $n00r)))
    (local.set $f00 (call $negpos (local.get $n00i)))
    (local.set $e01 (f64x2.splat (local.get $n01r)))
    (local.set $f01 (call $negpos (local.get $n01i)))
    (local.set $e10 (f64x2.splat (local.get $n10r)))
    (local.set $f10 (call $negpos (local.get $n10i)))
    (local.set $e11 (f64x2.splat (local.get $n11r)))
    (local.set $f11 (call $negpos (local.get $n11i)))
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $seg (i32.shl (i32.const 16) (local.get $c)))
    (local.set $b (local.get $base))
    (local.set $stop (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))))
    (if (i32.gt_u (local.get $c) (local.get $t))
      (then
        ;; the halves of each block of 2^(c+1): m0 on the first, m1 on the second
        (call $range (local.get $b) (local.get $stop) (local.get $t) (local.get $seg) (local.get $seg)
          (local.get $a00) (local.get $b00) (local.get $a01) (local.get $b01)
          (local.get $a10) (local.get $b10) (local.get $a11) (local.get $b11))
        (call $range (i32.add (local.get $b) (local.get $seg)) (local.get $stop) (local.get $t) (local.get $seg) (local.get $seg)
          (local.get $e00) (local.get $f00) (local.get $e01) (local.get $f01)
          (local.get $e10) (local.get $f10) (local.get $e11) (local.get $f11))
        (return)))
    ;; c < t: the runs of 2^c pairs with bit c clear (m0), then those with it set (m1)
    (call $runs (local.get $b) (local.get $stop) (local.get $off) (local.get $seg)
      (local.get $a00) (local.get $b00) (local.get $a01) (local.get $b01)
      (local.get $a10) (local.get $b10) (local.get $a11) (local.get $b11))
    (call $runs (i32.add (local.get $b) (local.get $seg)) (local.get $stop) (local.get $off) (local.get $seg)
      (local.get $e00) (local.get $f00) (local.get $e01) (local.get $f01)
      (local.get $e10) (local.get $f10) (local.get $e11) (local.get $f11)))

  (func (export "r1span") (param $base i32) (param $len i32) (param $t i32)
    (param $m00 f64) (param $m01 f64) (param $m10 f64) (param $m11 f64)
    (local $off i32) (local $p i32) (local $end i32)
    (local $x v128) (local $y v128) (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local.set $a00 (f64x2.splat (local.get $m00)))
    (local.set $a01 (f64x2.splat (local.get $m01)))
    (local.set $a10 (f64x2.splat (local.get $m10)))
    (local.set $a11 (f64x2.splat (local.get $m11)))
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $p (local.get $base))
    (local.set $end (i32.add (local.get $base) (i32.shl (local.get $len) (i32.const 4))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then (loop $inner
        (local.set $x (v128.load (local.get $p)))
        (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
        (v128.store (local.get $p)
          (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
        (v128.store (i32.add (local.get $p) (local.get $off))
          (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $inner (i32.lt_u (local.get $p) (local.get $end)))))))

  ;; --- chains.ts: real 2×2s on consecutive qubits in one pass over memory ---
  ;; The pairs (p, p + off) for p in [p, end), a real 2×2 (constants: splats of m00, m01, m10, m11);
  ;; r1's instructions per amplitude.
  (func $rspan (param $p i32) (param $end i32) (param $off i32)
    (param $a00 v128) (param $a01 v128) (param $a10 v128) (param $a11 v128)
    (local $x v128) (local $y v128)
    (loop $inner
      (local.set $x (v128.load (local.get $p)))
      (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
      (v128.store (local.get $p)
        (f64x2.add (f64x2.mul (local.get $a00) (local.get $x)) (f64x2.mul (local.get $a01) (local.get $y))))
      (v128.store (i32.add (local.get $p) (local.get $off))
        (f64x2.add (f64x2.mul (local.get $a10) (local.get $x)) (f64x2.mul (local.get $a11) (local.get $y))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $inner (i32.lt_u (local.get $p) (local.get $end)))))

  ;; A chain of real 2×2s (r1, or muxr with its control inside the window or below it) on targets
  ;; inside the window of qubits q … q + k − 1, applied tile by tile: a tile is the 2^k runs of w
  ;; amplitudes at the same place in the 2^k sub-blocks of 2^q amplitudes of a block of 2^(q+k), so
  ;; it holds every pair of every op of the chain and stays in the L1 cache while the ops run one
  ;; after another: one pass over memory for the chain instead of one per op, and the same
  ;; instructions per amplitude as r1 / muxr op by op (bit-identical). desc (byte offset): the op
  ;; count, then 11 numbers per op: target offset t in the window, control mode (0 none, 1 inside
  ;; the window at offset cbit, 2 below it on qubit cbit, which w must not exceed: 2^cbit ≥ w),
  ;; cbit, m0 (4 numbers), m1 (4 numbers). `base` sits on a multiple of 2^(q+k) amplitudes of the
  ;; state (a block or share holding whole windows), `dim` a multiple of it. Only the tiles whose
  ;; place in the sub-blocks lies in [lo0, lo1) (byte offsets, multiples of 16·w) run: all of them
  ;; for lo0 = 0, lo1 = 16·2^q; threads.ts's owned rounds give each thread its own part.
  (func (export "rchain") (param $base i32) (param $dim i32) (param $q i32) (param $k i32) (param $w i32) (param $desc i32)
    (param $lo0 i32) (param $lo1 i32)
    (local $stride i32) (local $span i32) (local $stop i32) (local $tile i32) (local $hi i32) (local $lo i32)
    (local $nops i32) (local $op i32) (local $p i32) (local $t i32) (local $mode i32) (local $cbit i32)
    (local $off i32) (local $j i32) (local $subs i32) (local $start i32) (local $v i32) (local $mp i32)
    (local.set $stride (i32.shl (i32.const 16) (local.get $q)))
    (local.set $span (i32.shl (local.get $stride) (local.get $k)))
    (local.set $subs (i32.shl (i32.const 1) (local.get $k)))
    (local.set $tile (i32.shl (local.get $w) (i32.const 4)))
    (local.set $stop (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))))
    (local.set $nops (i32.trunc_f64_u (f64.load (local.get $desc))))
    (local.set $hi (local.get $base))
    (loop $blocks
      (local.set $lo (local.get $lo0))
      (loop $tiles
        (local.set $op (i32.const 0))
        (loop $ops
          (local.set $p (i32.add (i32.add (local.get $desc) (i32.const 8)) (i32.mul (local.get $op) (i32.const 88))))
          (local.set $t (i32.trunc_f64_u (f64.load (local.get $p))))
          (local.set $mode (i32.trunc_f64_u (f64.load offset=8 (local.get $p))))
          (local.set $cbit (i32.trunc_f64_u (f64.load offset=16 (local.get $p))))
          (local.set $off (i32.shl (local.get $stride) (local.get $t)))
          (local.set $j (i32.const 0))
          (loop $subruns
            (if (i32.eqz (i32.and (i32.shr_u (local.get $j) (local.get $t)) (i32.const 1)))
              (then
                (local.set $start
                  (i32.add (i32.add (local.get $hi) (local.get $lo)) (i32.mul (local.get $j) (local.get $stride))))
                (local.set $v (i32.const 0))
                (if (i32.eq (local.get $mode) (i32.const 1))
                  (then (local.set $v (i32.and (i32.shr_u (local.get $j) (local.get $cbit)) (i32.const 1)))))
                (if (i32.eq (local.get $mode) (i32.const 2))
                  (then
                    (local.set $v
                      (i32.and
                        (i32.shr_u (i32.shr_u (i32.sub (local.get $start) (local.get $base)) (i32.const 4)) (local.get $cbit))
                        (i32.const 1)))))
                (local.set $mp (i32.add (i32.add (local.get $p) (i32.const 24)) (i32.shl (local.get $v) (i32.const 5))))
                (call $rspan (local.get $start) (i32.add (local.get $start) (local.get $tile)) (local.get $off)
                  (v128.load64_splat (local.get $mp)) (v128.load64_splat offset=8 (local.get $mp))
                  (v128.load64_splat offset=16 (local.get $mp)) (v128.load64_splat offset=24 (local.get $mp)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $subruns (i32.lt_u (local.get $j) (local.get $subs))))
          (local.set $op (i32.add (local.get $op) (i32.const 1)))
          (br_if $ops (i32.lt_u (local.get $op) (local.get $nops))))
        (local.set $lo (i32.add (local.get $lo) (local.get $tile)))
        (br_if $tiles (i32.lt_u (local.get $lo) (local.get $lo1))))
      (local.set $hi (i32.add (local.get $hi) (local.get $span)))
      (br_if $blocks (i32.lt_u (local.get $hi) (local.get $stop)))))

  ;; Diagonal phase table (kernels.ts applyPhaseTable, the same arithmetic; desc at byte offset
  ;; $desc): amplitude i of the `len` from `base`, index g + i in the whole state, times
  ;; c·T_v[(g + i) mod 2^k], run by run of 2^k amplitudes (g and len multiples of 2^k, or len below
  ;; 2^k: one run from entry g mod 2^k): v from the parities of the run's index with the r variant
  ;; masks, c the product of the nh high factors.
  (func (export "dtab") (param $base i32) (param $len i32) (param $g i32) (param $desc i32)
    (local $k i32) (local $r i32) (local $nh i32) (local $tab i32) (local $run i32) (local $s i32)
    (local $h i32) (local $v i32) (local $j i32) (local $p i32) (local $w i32) (local $t i32)
    (local $q i32) (local $end i32) (local $stride i32) (local $extra i32)
    (local $cr f64) (local $ci f64) (local $wr f64) (local $wi f64) (local $tmp f64)
    (local $cre v128) (local $cim v128) (local $x v128) (local $pp v128) (local $sign v128)
    (local.set $k (i32.trunc_f64_u (f64.load (local.get $desc))))
    (local.set $r (i32.trunc_f64_u (f64.load offset=8 (local.get $desc))))
    (local.set $nh (i32.trunc_f64_u (f64.load offset=16 (local.get $desc))))
    (local.set $tab (i32.add (local.get $desc) (i32.shl (i32.trunc_f64_u (f64.load offset=24 (local.get $desc))) (i32.const 3))))
    (local.set $stride (i32.shl (i32.const 1) (local.get $k)))
    (local.set $run (local.get $stride))
    (local.set $extra (i32.const 0))
    (if (i32.lt_u (local.get $len) (local.get $run))
      (then
        (local.set $extra (i32.shl (i32.and (local.get $g) (i32.sub (local.get $run) (i32.const 1))) (i32.const 4)))
        (local.set $run (local.get $len))))
    (local.set $sign (v128.const f64x2 -1 1))
    (local.set $s (i32.const 0))
    (loop $runs
      (local.set $h (i32.add (local.get $g) (local.get $s)))
      (local.set $v (i32.const 0))
      (local.set $j (i32.const 0))
      (block $vdone
        (loop $variant
          (br_if $vdone (i32.ge_u (local.get $j) (local.get $r)))
          (local.set $v
            (i32.or (local.get $v)
              (i32.shl
                (i32.and (i32.popcnt (i32.and (local.get $h)
                  (i32.trunc_f64_u (f64.load offset=32 (i32.add (local.get $desc) (i32.shl (local.get $j) (i32.const 3)))))))
                  (i32.const 1))
                (local.get $j))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $variant)))
      (local.set $cr (f64.const 1))
      (local.set $ci (f64.const 0))
      (local.set $p (i32.add (local.get $desc) (i32.shl (i32.add (local.get $r) (i32.const 4)) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $cdone
        (loop $factor
          (br_if $cdone (i32.ge_u (local.get $j) (local.get $nh)))
          (local.set $w
            (i32.add (local.get $p)
              (i32.add (i32.const 8)
                (i32.shl
                  (i32.and (i32.popcnt (i32.and (local.get $h) (i32.trunc_f64_u (f64.load (local.get $p))))) (i32.const 1))
                  (i32.const 4)))))
          (local.set $wr (f64.load (local.get $w)))
          (local.set $wi (f64.load offset=8 (local.get $w)))
          (local.set $tmp (f64.sub (f64.mul (local.get $cr) (local.get $wr)) (f64.mul (local.get $ci) (local.get $wi))))
          (local.set $ci (f64.add (f64.mul (local.get $cr) (local.get $wi)) (f64.mul (local.get $ci) (local.get $wr))))
          (local.set $cr (local.get $tmp))
          (local.set $p (i32.add (local.get $p) (i32.const 40)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $factor)))
      (local.set $cre (f64x2.splat (local.get $cr)))
      (local.set $cim (call $negpos (local.get $ci)))
      (local.set $t
        (i32.add (i32.add (local.get $tab) (i32.shl (i32.mul (local.get $v) (local.get $stride)) (i32.const 4))) (local.get $extra)))
      (local.set $q (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4))))
      (local.set $end (i32.add (local.get $q) (i32.shl (local.get $run) (i32.const 4))))
      (loop $amps
        (local.set $x (v128.load (local.get $t)))
        ;; p = c·T (kernels.ts: pr = cr·tr − ci·ti, pi = cr·ti + ci·tr), then p·amplitude
        (local.set $pp
          (f64x2.add (f64x2.mul (local.get $cre) (local.get $x))
            (f64x2.mul (local.get $cim) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
        (local.set $x (v128.load (local.get $q)))
        (v128.store (local.get $q)
          (f64x2.add
            (f64x2.mul (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $pp) (local.get $pp)) (local.get $x))
            (f64x2.mul
              (f64x2.mul (local.get $sign) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $pp) (local.get $pp)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br_if $amps (i32.lt_u (local.get $q) (local.get $end))))
      (local.set $s (i32.add (local.get $s) (local.get $run)))
      (br_if $runs (i32.lt_u (local.get $s) (local.get $len)))))
)

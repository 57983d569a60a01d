;; SIMD kernels of @q-store/quantum-sim (WebAssembly text; `pnpm --filter @q-store/quantum-sim build:wasm`
;; regenerates kernels-wasm.ts from this file, and a test checks that the two agree).
;;
;; A state of 2^k amplitudes is interleaved at byte offset `base` of the (imported) memory: amplitude
;; i is the f64 pair (re, im) at base + 16·i, one v128. Qubit q is bit q of i. All offsets and
;; comparisons are unsigned, so states may sit anywhere in a 4 GiB memory.
;;
;; A complex product c·v with c = (cr, ci) and v = (vr, vi) is splat(cr)·v + (−ci, ci)·swap(v),
;; where swap exchanges the two lanes.
(module
  (import "env" "memory" (memory 1 65536))

  ;; (−c, c) as a v128
  (func $negpos (param $c f64) (result v128)
    (f64x2.replace_lane 0 (f64x2.splat (local.get $c)) (f64.neg (local.get $c))))

  (func $swap (param $v v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))

  ;; Real 2×2 [[m00, m01], [m10, m11]] on qubit t.
  (func (export "r1") (param $base i32) (param $dim i32) (param $t i32)
    (param $m00 f64) (param $m01 f64) (param $m10 f64) (param $m11 f64)
    (local $off i32) (local $b i32) (local $p i32) (local $end i32) (local $stop i32)
    (local $x v128) (local $y v128) (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local.set $a00 (f64x2.splat (local.get $m00)))
    (local.set $a01 (f64x2.splat (local.get $m01)))
    (local.set $a10 (f64x2.splat (local.get $m10)))
    (local.set $a11 (f64x2.splat (local.get $m11)))
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $b (local.get $base))
    (local.set $stop (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $b) (local.get $stop)))
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
        (br $outer))))

  ;; General complex 2×2 on qubit t.
  (func (export "u1") (param $base i32) (param $dim i32) (param $t i32)
    (param $m00r f64) (param $m00i f64) (param $m01r f64) (param $m01i f64)
    (param $m10r f64) (param $m10i f64) (param $m11r f64) (param $m11i f64)
    (local $off i32) (local $b i32) (local $p i32) (local $end i32) (local $stop i32)
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
    (local.set $b (local.get $base))
    (local.set $stop (i32.add (local.get $base) (i32.shl (local.get $dim) (i32.const 4))))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $b) (local.get $stop)))
        (local.set $p (local.get $b))
        (local.set $end (i32.add (local.get $b) (local.get $off)))
        (loop $inner
          (local.set $x (v128.load (local.get $p)))
          (local.set $y (v128.load (i32.add (local.get $p) (local.get $off))))
          (local.set $xs (call $swap (local.get $x)))
          (local.set $ys (call $swap (local.get $y)))
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
        (br $outer))))

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
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $b) (local.get $stop)))
        (local.set $p (local.get $b))
        (local.set $end (i32.add (local.get $b) (local.get $off)))
        (loop $lo
          (local.set $x (v128.load (local.get $p)))
          (v128.store (local.get $p)
            (f64x2.add (f64x2.mul (local.get $a0) (local.get $x)) (f64x2.mul (local.get $c0) (call $swap (local.get $x)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $lo (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $end (i32.add (local.get $p) (local.get $off)))
        (loop $hi
          (local.set $x (v128.load (local.get $p)))
          (v128.store (local.get $p)
            (f64x2.add (f64x2.mul (local.get $a1) (local.get $x)) (f64x2.mul (local.get $c1) (call $swap (local.get $x)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $hi (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $b (local.get $p))
        (br $outer))))

  ;; CNOT: swaps amplitudes i and i | 2^t for every i with bit c set and bit t clear.
  (func (export "cx") (param $base i32) (param $dim i32) (param $c i32) (param $t i32)
    (local $lo i32) (local $hi i32) (local $run i32) (local $count i32) (local $k i32) (local $idx i32)
    (local $p i32) (local $end i32) (local $off i32) (local $x v128)
    (local.set $lo (select (local.get $c) (local.get $t) (i32.lt_u (local.get $c) (local.get $t))))
    (local.set $hi (select (local.get $t) (local.get $c) (i32.lt_u (local.get $c) (local.get $t))))
    (local.set $run (i32.shl (i32.const 1) (local.get $lo)))
    (local.set $count (i32.shr_u (local.get $dim) (i32.const 2)))
    (local.set $off (i32.shl (i32.const 16) (local.get $t)))
    (local.set $k (i32.const 0))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        ;; k is a multiple of 2^lo: inserting a zero at lo is k << 1; then insert a zero at hi.
        (local.set $idx (i32.shl (local.get $k) (i32.const 1)))
        (local.set $idx
          (i32.or
            (i32.shl (i32.shr_u (local.get $idx) (local.get $hi)) (i32.add (local.get $hi) (i32.const 1)))
            (i32.and (local.get $idx) (i32.sub (i32.shl (i32.const 1) (local.get $hi)) (i32.const 1)))))
        (local.set $idx (i32.or (local.get $idx) (i32.shl (i32.const 1) (local.get $c))))
        (local.set $p (i32.add (local.get $base) (i32.shl (local.get $idx) (i32.const 4))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $run) (i32.const 4))))
        (loop $inner
          (local.set $x (v128.load (local.get $p)))
          (v128.store (local.get $p) (v128.load (i32.add (local.get $p) (local.get $off))))
          (v128.store (i32.add (local.get $p) (local.get $off)) (local.get $x))
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
)

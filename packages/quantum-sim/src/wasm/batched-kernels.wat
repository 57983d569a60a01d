;; SIMD kernels for BatchedCircuit (batched-circuit.ts): two samples at once, one per f64x2 lane.
;;
;; A pair state of 2^n amplitudes is two blocks at byte offsets `re` and `im` of the imported
;; memory: amplitude k of both samples is the v128 at re + 16·k (lane 0 = sample b, lane 1 =
;; sample b + 1), its imaginary parts at im + 16·k. Every sample of the pair has its own gate
;; matrix, so matrices are v128 too: a 2×2 complex matrix is 8 v128 at `mat`
;; (u00 re, u00 im, u01 re, u01 im, u10 re, u10 im, u11 re, u11 im), each holding both lanes.
;; Complex products then need no lane shuffles. `m` is the wire's bit (1 << (n − 1 − wire)) and
;; `dim` = 2^n; all offsets are in bytes and unsigned.
(module
  (import "env" "memory" (memory 1))

  ;; ψ' = U ψ on the wire with bit m: (x, y) → (u00 x + u01 y, u10 x + u11 y) per lane, read from
  ;; (re, im) and written to (ore, oim) (the same blocks for in place).
  (func (export "u1") (param $re i32) (param $im i32) (param $ore i32) (param $oim i32) (param $dim i32)
    (param $m i32) (param $mat i32)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $c0 v128) (local $c1 v128) (local $d0 v128) (local $d1 v128)
    (local $xr v128) (local $xi v128) (local $yr v128) (local $yi v128)
    (local $mb i32) (local $end i32) (local $o i32) (local $off i32) (local $stop i32)
    (local $pk i32) (local $pj i32) (local $qk i32) (local $qj i32) (local $dk i32) (local $ek i32)
    (local.set $a0 (v128.load offset=0 (local.get $mat)))
    (local.set $a1 (v128.load offset=16 (local.get $mat)))
    (local.set $b0 (v128.load offset=32 (local.get $mat)))
    (local.set $b1 (v128.load offset=48 (local.get $mat)))
    (local.set $c0 (v128.load offset=64 (local.get $mat)))
    (local.set $c1 (v128.load offset=80 (local.get $mat)))
    (local.set $d0 (v128.load offset=96 (local.get $mat)))
    (local.set $d1 (v128.load offset=112 (local.get $mat)))
    (local.set $mb (i32.shl (local.get $m) (i32.const 4)))
    (local.set $end (i32.shl (local.get $dim) (i32.const 4)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $off (local.get $o))
        (local.set $stop (i32.add (local.get $o) (local.get $mb)))
        (loop $inner
          (local.set $pk (i32.add (local.get $re) (local.get $off)))
          (local.set $pj (i32.add (local.get $pk) (local.get $mb)))
          (local.set $qk (i32.add (local.get $im) (local.get $off)))
          (local.set $qj (i32.add (local.get $qk) (local.get $mb)))
          (local.set $xr (v128.load (local.get $pk)))
          (local.set $xi (v128.load (local.get $qk)))
          (local.set $yr (v128.load (local.get $pj)))
          (local.set $yi (v128.load (local.get $qj)))
          (local.set $dk (i32.add (local.get $ore) (local.get $off)))
          (local.set $ek (i32.add (local.get $oim) (local.get $off)))
          ;; re' = a0 xr − a1 xi + b0 yr − b1 yi; im' = a0 xi + a1 xr + b0 yi + b1 yr
          (v128.store (local.get $dk)
            (f64x2.sub
              (f64x2.add (f64x2.mul (local.get $a0) (local.get $xr)) (f64x2.mul (local.get $b0) (local.get $yr)))
              (f64x2.add (f64x2.mul (local.get $a1) (local.get $xi)) (f64x2.mul (local.get $b1) (local.get $yi)))))
          (v128.store (local.get $ek)
            (f64x2.add
              (f64x2.add (f64x2.mul (local.get $a0) (local.get $xi)) (f64x2.mul (local.get $a1) (local.get $xr)))
              (f64x2.add (f64x2.mul (local.get $b0) (local.get $yi)) (f64x2.mul (local.get $b1) (local.get $yr)))))
          (v128.store (i32.add (local.get $dk) (local.get $mb))
            (f64x2.sub
              (f64x2.add (f64x2.mul (local.get $c0) (local.get $xr)) (f64x2.mul (local.get $d0) (local.get $yr)))
              (f64x2.add (f64x2.mul (local.get $c1) (local.get $xi)) (f64x2.mul (local.get $d1) (local.get $yi)))))
          (v128.store (i32.add (local.get $ek) (local.get $mb))
            (f64x2.add
              (f64x2.add (f64x2.mul (local.get $c0) (local.get $xi)) (f64x2.mul (local.get $c1) (local.get $xr)))
              (f64x2.add (f64x2.mul (local.get $d0) (local.get $yi)) (f64x2.mul (local.get $d1) (local.get $yr)))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $off) (local.get $stop))))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $mb) (i32.const 1))))
        (br $outer))))

  ;; Negates the amplitudes (both lanes) at the `n` byte offsets (i32) listed at `list`: a run of CZs.
  (func (export "flip") (param $re i32) (param $im i32) (param $list i32) (param $n i32)
    (local $end i32) (local $off i32)
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (local.set $off (i32.load (local.get $list)))
        (v128.store (i32.add (local.get $re) (local.get $off))
          (f64x2.neg (v128.load (i32.add (local.get $re) (local.get $off)))))
        (v128.store (i32.add (local.get $im) (local.get $off))
          (f64x2.neg (v128.load (i32.add (local.get $im) (local.get $off)))))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $l))))

  ;; out[j] = in[g[j]] from the block of `dim` v128 at `src` into `dst`; `list` holds the byte
  ;; offsets 16·g[j] (i32): a run of CNOTs as one permutation.
  (func $gather1 (param $src i32) (param $list i32) (param $dim i32) (param $dst i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $dim) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (v128.store (local.get $dst) (v128.load (i32.add (local.get $src) (i32.load (local.get $list)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $l))))

  ;; The permutation in place, through the scratch block `tmp`.
  (func (export "gather") (param $re i32) (param $im i32) (param $list i32) (param $dim i32) (param $tmp i32)
    (call $gather1 (local.get $re) (local.get $list) (local.get $dim) (local.get $tmp))
    (memory.copy (local.get $re) (local.get $tmp) (i32.shl (local.get $dim) (i32.const 4)))
    (call $gather1 (local.get $im) (local.get $list) (local.get $dim) (local.get $tmp))
    (memory.copy (local.get $im) (local.get $tmp) (i32.shl (local.get $dim) (i32.const 4))))

  ;; The permutation from (re, im) into (ore, oim).
  (func (export "gathero") (param $re i32) (param $im i32) (param $list i32) (param $dim i32)
    (param $ore i32) (param $oim i32)
    (call $gather1 (local.get $re) (local.get $list) (local.get $dim) (local.get $ore))
    (call $gather1 (local.get $im) (local.get $list) (local.get $dim) (local.get $oim)))

  ;; memory.copy for JavaScript: `bytes` from src to dst.
  (func (export "copy") (param $dst i32) (param $src i32) (param $bytes i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $bytes)))

  ;; One adjoint step of a single-qubit chain U on the wire with bit m, in one sweep: the cross
  ;; matrix C_ab = Σ conj(λ_a) ψ_b over the wire's amplitude pairs of the current ψ and λ, then
  ;; ψ ← W ψ and λ ← W λ with W = U† at `mat`. A gradient is Im Σ_ab A_ab C_ab for a Hermitian
  ;; traceless A (real diagonal, A_11 = −A_00), so only Im C00 − Im C11, C01 and C10 are needed:
  ;; written as 5 v128 at `out` (Im C00 − Im C11, C01 re, C01 im, C10 re, C10 im). Fewer
  ;; accumulators, and the matrix read from memory (L1) at each use, keep the loop within the 16
  ;; vector registers of x64.
  (func (export "adj") (param $lre i32) (param $lim i32) (param $re i32) (param $im i32)
    (param $dim i32) (param $m i32) (param $mat i32) (param $out i32)
    (local $c00i v128) (local $c01r v128) (local $c01i v128)
    (local $c10r v128) (local $c10i v128)
    (local $l0r v128) (local $l0i v128) (local $l1r v128) (local $l1i v128)
    (local $p0r v128) (local $p0i v128) (local $p1r v128) (local $p1i v128)
    (local $mb i32) (local $end i32) (local $o i32) (local $off i32) (local $stop i32)
    (local $x i32) (local $y i32) (local $u i32) (local $v i32)
    (local.set $mb (i32.shl (local.get $m) (i32.const 4)))
    (local.set $end (i32.shl (local.get $dim) (i32.const 4)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $off (local.get $o))
        (local.set $stop (i32.add (local.get $o) (local.get $mb)))
        (loop $inner
          (local.set $x (i32.add (local.get $lre) (local.get $off)))
          (local.set $y (i32.add (local.get $lim) (local.get $off)))
          (local.set $u (i32.add (local.get $re) (local.get $off)))
          (local.set $v (i32.add (local.get $im) (local.get $off)))
          (local.set $l0r (v128.load (local.get $x)))
          (local.set $l0i (v128.load (local.get $y)))
          (local.set $l1r (v128.load (i32.add (local.get $x) (local.get $mb))))
          (local.set $l1i (v128.load (i32.add (local.get $y) (local.get $mb))))
          (local.set $p0r (v128.load (local.get $u)))
          (local.set $p0i (v128.load (local.get $v)))
          (local.set $p1r (v128.load (i32.add (local.get $u) (local.get $mb))))
          (local.set $p1i (v128.load (i32.add (local.get $v) (local.get $mb))))
          (local.set $c00i (f64x2.add (local.get $c00i)
            (f64x2.sub (f64x2.mul (local.get $l0r) (local.get $p0i)) (f64x2.mul (local.get $l0i) (local.get $p0r)))))
          (local.set $c01r (f64x2.add (local.get $c01r)
            (f64x2.add (f64x2.mul (local.get $l0r) (local.get $p1r)) (f64x2.mul (local.get $l0i) (local.get $p1i)))))
          (local.set $c01i (f64x2.add (local.get $c01i)
            (f64x2.sub (f64x2.mul (local.get $l0r) (local.get $p1i)) (f64x2.mul (local.get $l0i) (local.get $p1r)))))
          (local.set $c10r (f64x2.add (local.get $c10r)
            (f64x2.add (f64x2.mul (local.get $l1r) (local.get $p0r)) (f64x2.mul (local.get $l1i) (local.get $p0i)))))
          (local.set $c10i (f64x2.add (local.get $c10i)
            (f64x2.sub (f64x2.mul (local.get $l1r) (local.get $p0i)) (f64x2.mul (local.get $l1i) (local.get $p0r)))))
          (local.set $c00i (f64x2.sub (local.get $c00i)
            (f64x2.sub (f64x2.mul (local.get $l1r) (local.get $p1i)) (f64x2.mul (local.get $l1i) (local.get $p1r)))))
          ;; ψ ← W ψ
          (v128.store (local.get $u)
            (f64x2.sub
              (f64x2.add (f64x2.mul (v128.load offset=0 (local.get $mat)) (local.get $p0r)) (f64x2.mul (v128.load offset=32 (local.get $mat)) (local.get $p1r)))
              (f64x2.add (f64x2.mul (v128.load offset=16 (local.get $mat)) (local.get $p0i)) (f64x2.mul (v128.load offset=48 (local.get $mat)) (local.get $p1i)))))
          (v128.store (local.get $v)
            (f64x2.add
              (f64x2.add (f64x2.mul (v128.load offset=0 (local.get $mat)) (local.get $p0i)) (f64x2.mul (v128.load offset=16 (local.get $mat)) (local.get $p0r)))
              (f64x2.add (f64x2.mul (v128.load offset=32 (local.get $mat)) (local.get $p1i)) (f64x2.mul (v128.load offset=48 (local.get $mat)) (local.get $p1r)))))
          (v128.store (i32.add (local.get $u) (local.get $mb))
            (f64x2.sub
              (f64x2.add (f64x2.mul (v128.load offset=64 (local.get $mat)) (local.get $p0r)) (f64x2.mul (v128.load offset=96 (local.get $mat)) (local.get $p1r)))
              (f64x2.add (f64x2.mul (v128.load offset=80 (local.get $mat)) (local.get $p0i)) (f64x2.mul (v128.load offset=112 (local.get $mat)) (local.get $p1i)))))
          (v128.store (i32.add (local.get $v) (local.get $mb))
            (f64x2.add
              (f64x2.add (f64x2.mul (v128.load offset=64 (local.get $mat)) (local.get $p0i)) (f64x2.mul (v128.load offset=80 (local.get $mat)) (local.get $p0r)))
              (f64x2.add (f64x2.mul (v128.load offset=96 (local.get $mat)) (local.get $p1i)) (f64x2.mul (v128.load offset=112 (local.get $mat)) (local.get $p1r)))))
          ;; λ ← W λ
          (v128.store (local.get $x)
            (f64x2.sub
              (f64x2.add (f64x2.mul (v128.load offset=0 (local.get $mat)) (local.get $l0r)) (f64x2.mul (v128.load offset=32 (local.get $mat)) (local.get $l1r)))
              (f64x2.add (f64x2.mul (v128.load offset=16 (local.get $mat)) (local.get $l0i)) (f64x2.mul (v128.load offset=48 (local.get $mat)) (local.get $l1i)))))
          (v128.store (local.get $y)
            (f64x2.add
              (f64x2.add (f64x2.mul (v128.load offset=0 (local.get $mat)) (local.get $l0i)) (f64x2.mul (v128.load offset=16 (local.get $mat)) (local.get $l0r)))
              (f64x2.add (f64x2.mul (v128.load offset=32 (local.get $mat)) (local.get $l1i)) (f64x2.mul (v128.load offset=48 (local.get $mat)) (local.get $l1r)))))
          (v128.store (i32.add (local.get $x) (local.get $mb))
            (f64x2.sub
              (f64x2.add (f64x2.mul (v128.load offset=64 (local.get $mat)) (local.get $l0r)) (f64x2.mul (v128.load offset=96 (local.get $mat)) (local.get $l1r)))
              (f64x2.add (f64x2.mul (v128.load offset=80 (local.get $mat)) (local.get $l0i)) (f64x2.mul (v128.load offset=112 (local.get $mat)) (local.get $l1i)))))
          (v128.store (i32.add (local.get $y) (local.get $mb))
            (f64x2.add
              (f64x2.add (f64x2.mul (v128.load offset=64 (local.get $mat)) (local.get $l0i)) (f64x2.mul (v128.load offset=80 (local.get $mat)) (local.get $l0r)))
              (f64x2.add (f64x2.mul (v128.load offset=96 (local.get $mat)) (local.get $l1i)) (f64x2.mul (v128.load offset=112 (local.get $mat)) (local.get $l1r)))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $off) (local.get $stop))))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $mb) (i32.const 1))))
        (br $outer)))
    (v128.store offset=0 (local.get $out) (local.get $c00i))
    (v128.store offset=16 (local.get $out) (local.get $c01r))
    (v128.store offset=32 (local.get $out) (local.get $c01i))
    (v128.store offset=48 (local.get $out) (local.get $c10r))
    (v128.store offset=64 (local.get $out) (local.get $c10i)))

  ;; The reduced cross matrix of `adj` alone (5 v128 at `out`), without applying W: the backward
  ;; sweep when the forward sweep kept ψ after every op.
  (func (export "crossr") (param $lre i32) (param $lim i32) (param $re i32) (param $im i32)
    (param $dim i32) (param $m i32) (param $out i32)
    (local $c00i v128) (local $c01r v128) (local $c01i v128)
    (local $c10r v128) (local $c10i v128)
    (local $l0r v128) (local $l0i v128) (local $l1r v128) (local $l1i v128)
    (local $p0r v128) (local $p0i v128) (local $p1r v128) (local $p1i v128)
    (local $mb i32) (local $end i32) (local $o i32) (local $off i32) (local $stop i32)
    (local $x i32) (local $y i32) (local $u i32) (local $v i32)
    (local.set $mb (i32.shl (local.get $m) (i32.const 4)))
    (local.set $end (i32.shl (local.get $dim) (i32.const 4)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $off (local.get $o))
        (local.set $stop (i32.add (local.get $o) (local.get $mb)))
        (loop $inner
          (local.set $x (i32.add (local.get $lre) (local.get $off)))
          (local.set $y (i32.add (local.get $lim) (local.get $off)))
          (local.set $u (i32.add (local.get $re) (local.get $off)))
          (local.set $v (i32.add (local.get $im) (local.get $off)))
          (local.set $l0r (v128.load (local.get $x)))
          (local.set $l0i (v128.load (local.get $y)))
          (local.set $l1r (v128.load (i32.add (local.get $x) (local.get $mb))))
          (local.set $l1i (v128.load (i32.add (local.get $y) (local.get $mb))))
          (local.set $p0r (v128.load (local.get $u)))
          (local.set $p0i (v128.load (local.get $v)))
          (local.set $p1r (v128.load (i32.add (local.get $u) (local.get $mb))))
          (local.set $p1i (v128.load (i32.add (local.get $v) (local.get $mb))))
          (local.set $c00i (f64x2.add (local.get $c00i)
            (f64x2.sub (f64x2.mul (local.get $l0r) (local.get $p0i)) (f64x2.mul (local.get $l0i) (local.get $p0r)))))
          (local.set $c01r (f64x2.add (local.get $c01r)
            (f64x2.add (f64x2.mul (local.get $l0r) (local.get $p1r)) (f64x2.mul (local.get $l0i) (local.get $p1i)))))
          (local.set $c01i (f64x2.add (local.get $c01i)
            (f64x2.sub (f64x2.mul (local.get $l0r) (local.get $p1i)) (f64x2.mul (local.get $l0i) (local.get $p1r)))))
          (local.set $c10r (f64x2.add (local.get $c10r)
            (f64x2.add (f64x2.mul (local.get $l1r) (local.get $p0r)) (f64x2.mul (local.get $l1i) (local.get $p0i)))))
          (local.set $c10i (f64x2.add (local.get $c10i)
            (f64x2.sub (f64x2.mul (local.get $l1r) (local.get $p0i)) (f64x2.mul (local.get $l1i) (local.get $p0r)))))
          (local.set $c00i (f64x2.sub (local.get $c00i)
            (f64x2.sub (f64x2.mul (local.get $l1r) (local.get $p1i)) (f64x2.mul (local.get $l1i) (local.get $p1r)))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $off) (local.get $stop))))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $mb) (i32.const 1))))
        (br $outer)))
    (v128.store offset=0 (local.get $out) (local.get $c00i))
    (v128.store offset=16 (local.get $out) (local.get $c01r))
    (v128.store offset=32 (local.get $out) (local.get $c01i))
    (v128.store offset=48 (local.get $out) (local.get $c10r))
    (v128.store offset=64 (local.get $out) (local.get $c10i)))

  ;; In-place Walsh–Hadamard transform of the block of `dim` v128 at `x`, both lanes:
  ;; x̂[m] = Σ_k x[k] (−1)^popcount(k & m). Gives every Z-string's value from the probabilities, and
  ;; the diagonal of Σ_j c_j Z-string(m_j) from the c_j placed at m_j.
  (func (export "wht") (param $x i32) (param $dim i32)
    (local $hb i32) (local $end i32) (local $o i32) (local $p i32) (local $stop i32)
    (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $dim) (i32.const 4))))
    (local.set $hb (i32.const 16))
    (block $done
      (loop $levels
        (br_if $done (i32.ge_u (local.get $hb) (i32.shl (local.get $dim) (i32.const 4))))
        (local.set $o (local.get $x))
        (loop $outer
          (local.set $p (local.get $o))
          (local.set $stop (i32.add (local.get $o) (local.get $hb)))
          (loop $inner
            (local.set $a (v128.load (local.get $p)))
            (local.set $b (v128.load (i32.add (local.get $p) (local.get $hb))))
            (v128.store (local.get $p) (f64x2.add (local.get $a) (local.get $b)))
            (v128.store (i32.add (local.get $p) (local.get $hb)) (f64x2.sub (local.get $a) (local.get $b)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br_if $inner (i32.lt_u (local.get $p) (local.get $stop))))
          (local.set $o (i32.add (local.get $o) (i32.shl (local.get $hb) (i32.const 1))))
          (br_if $outer (i32.lt_u (local.get $o) (local.get $end))))
        (local.set $hb (i32.shl (local.get $hb) (i32.const 1)))
        (br $levels))))

  ;; dst[k] = re[k]² + im[k]² (both lanes).
  (func (export "probs") (param $re i32) (param $im i32) (param $dst i32) (param $dim i32)
    (local $end i32) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $dim) (i32.const 4))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $a (v128.load (local.get $re)))
        (local.set $b (v128.load (local.get $im)))
        (v128.store (local.get $dst)
          (f64x2.add (f64x2.mul (local.get $a) (local.get $a)) (f64x2.mul (local.get $b) (local.get $b))))
        (local.set $re (i32.add (local.get $re) (i32.const 16)))
        (local.set $im (i32.add (local.get $im) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $l))))

  ;; λ = D ψ for the diagonal D at `d` (both lanes): lre = d·re, lim = d·im.
  (func (export "diag") (param $d i32) (param $re i32) (param $im i32) (param $lre i32) (param $lim i32)
    (param $dim i32)
    (local $end i32) (local $w v128)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $dim) (i32.const 4))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (local.set $w (v128.load (local.get $d)))
        (v128.store (local.get $lre) (f64x2.mul (local.get $w) (v128.load (local.get $re))))
        (v128.store (local.get $lim) (f64x2.mul (local.get $w) (v128.load (local.get $im))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $re (i32.add (local.get $re) (i32.const 16)))
        (local.set $im (i32.add (local.get $im) (i32.const 16)))
        (local.set $lre (i32.add (local.get $lre) (i32.const 16)))
        (local.set $lim (i32.add (local.get $lim) (i32.const 16)))
        (br $l))))

  ;; Copies one sample's state (`dim` f64 at sre and at sim, as written by a StatePreparation) into
  ;; lane `lane` of the pair state at re, im.
  (func (export "put") (param $sre i32) (param $sim i32) (param $re i32) (param $im i32) (param $dim i32)
    (param $lane i32)
    (local $end i32)
    (local.set $re (i32.add (local.get $re) (i32.shl (local.get $lane) (i32.const 3))))
    (local.set $im (i32.add (local.get $im) (i32.shl (local.get $lane) (i32.const 3))))
    (local.set $end (i32.add (local.get $sre) (i32.shl (local.get $dim) (i32.const 3))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $sre) (local.get $end)))
        (f64.store (local.get $re) (f64.load (local.get $sre)))
        (f64.store (local.get $im) (f64.load (local.get $sim)))
        (local.set $sre (i32.add (local.get $sre) (i32.const 8)))
        (local.set $sim (i32.add (local.get $sim) (i32.const 8)))
        (local.set $re (i32.add (local.get $re) (i32.const 16)))
        (local.set $im (i32.add (local.get $im) (i32.const 16)))
        (br $l)))))

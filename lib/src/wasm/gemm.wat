;; Hand-written f64 GEMM kernels with 128-bit SIMD (f64x2), for the three products
;; a fully connected net needs. The JavaScript side (gemm.ts) copies the operands
;; into this module's linear memory, calls a kernel, and copies C back out.
;;
;; All kernels compute C <- alpha*op(A, B) + beta*C with beta = 0 meaning
;; "overwrite" (old C is never read, so stale NaN cannot leak). Addresses and
;; leading dimensions are in BYTES. m and n must be multiples of the block size: the caller
;; rounds them up and ignores the extra rows/columns of C, so A and B only need
;; readable (not zeroed) memory behind them for those padding lanes.
(module
  (memory (export "memory") 1)

  ;; [x0+x1, y0+y1]: the horizontal sums of two partial-sum vectors.
  (func $hadd (param $x v128) (param $y v128) (result v128)
    (f64x2.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x) (local.get $y))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x) (local.get $y))))

  ;; C (m x n) <- alpha * A.B + beta * C, with a(i,k) at pA + i*saI + k*saK, so the same
  ;; kernel serves A.B (saI = row bytes, saK = 8) and At.B (saI = 8, saK = row bytes).
  ;; B is K x n with row stride ldb; C has row stride ldc.
  ;; Register block: 4 rows x 4 columns of C in 8 f64x2 accumulators; each k step loads
  ;; 4 values of B (2 vectors) and broadcasts 4 values of A, i.e. 16 multiply-adds on 2 lanes.
  (func (export "gemm_nn")
    (param $m i32) (param $n i32) (param $K i32)
    (param $pA i32) (param $saI i32) (param $saK i32)
    (param $pB i32) (param $ldb i32)
    (param $pC i32) (param $ldc i32)
    (param $alpha f64) (param $beta f64)
    (local $i i32) (local $j i32) (local $k i32)
    (local $pa i32) (local $pb i32) (local $pc i32)
    (local $s2 i32) (local $s3 i32) (local $bz i32)
    (local $a v128) (local $b0 v128) (local $b1 v128) (local $va v128) (local $vb v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    (local.set $bz (f64.eq (local.get $beta) (f64.const 0)))
    (local.set $s2 (i32.shl (local.get $saI) (i32.const 1)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $saI)))
    (if (i32.or (i32.le_s (local.get $m) (i32.const 0)) (i32.le_s (local.get $n) (i32.const 0))) (then (return)))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $c00 (v128.const f64x2 0 0)) (local.set $c01 (v128.const f64x2 0 0))
        (local.set $c10 (v128.const f64x2 0 0)) (local.set $c11 (v128.const f64x2 0 0))
        (local.set $c20 (v128.const f64x2 0 0)) (local.set $c21 (v128.const f64x2 0 0))
        (local.set $c30 (v128.const f64x2 0 0)) (local.set $c31 (v128.const f64x2 0 0))
        (local.set $pa (i32.add (local.get $pA) (i32.mul (local.get $i) (local.get $saI))))
        (local.set $pb (i32.add (local.get $pB) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $k (local.get $K))
        (if (i32.gt_s (local.get $k) (i32.const 0))
          (then
            (loop $lk
              (local.set $b0 (v128.load (local.get $pb)))
              (local.set $b1 (v128.load offset=16 (local.get $pb)))
              (local.set $a (v128.load64_splat (local.get $pa)))
              (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
              (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
              (local.set $a (v128.load64_splat (i32.add (local.get $pa) (local.get $saI))))
              (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
              (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
              (local.set $a (v128.load64_splat (i32.add (local.get $pa) (local.get $s2))))
              (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
              (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
              (local.set $a (v128.load64_splat (i32.add (local.get $pa) (local.get $s3))))
              (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
              (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
              (local.set $pa (i32.add (local.get $pa) (local.get $saK)))
              (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
              (local.set $k (i32.sub (local.get $k) (i32.const 1)))
              (br_if $lk (local.get $k)))))
        (local.set $pc (i32.add (local.get $pC)
          (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 3)))))
        ;; store the block: C <- alpha*acc, or alpha*acc + beta*C when accumulating
        (if (local.get $bz)
          (then
            (v128.store (local.get $pc) (f64x2.mul (local.get $va) (local.get $c00)))
            (v128.store offset=16 (local.get $pc) (f64x2.mul (local.get $va) (local.get $c01)))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.mul (local.get $va) (local.get $c10)))
            (v128.store offset=16 (local.get $pc) (f64x2.mul (local.get $va) (local.get $c11)))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.mul (local.get $va) (local.get $c20)))
            (v128.store offset=16 (local.get $pc) (f64x2.mul (local.get $va) (local.get $c21)))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.mul (local.get $va) (local.get $c30)))
            (v128.store offset=16 (local.get $pc) (f64x2.mul (local.get $va) (local.get $c31))))
          (else
            (v128.store (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c00)) (f64x2.mul (local.get $vb) (v128.load (local.get $pc)))))
            (v128.store offset=16 (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c01)) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $pc)))))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c10)) (f64x2.mul (local.get $vb) (v128.load (local.get $pc)))))
            (v128.store offset=16 (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c11)) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $pc)))))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c20)) (f64x2.mul (local.get $vb) (v128.load (local.get $pc)))))
            (v128.store offset=16 (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c21)) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $pc)))))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c30)) (f64x2.mul (local.get $vb) (v128.load (local.get $pc)))))
            (v128.store offset=16 (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (local.get $c31)) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $pc)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $lj (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $li (i32.lt_s (local.get $i) (local.get $m)))))

  ;; C (m x n) <- alpha * A.Bt + beta * C with A m x K and B n x K, both row-major with
  ;; row stride K*8 bytes: c(i,j) is the dot product of row i of A and row j of B, both
  ;; contiguous. Register block: 2 rows of A x 4 rows of B; each accumulator holds two
  ;; partial sums (even and odd k), added together when the block is stored. An odd
  ;; last k is loaded with the upper lane zeroed. m must be even, n a multiple of 4.
  (func (export "gemm_nt")
    (param $m i32) (param $n i32) (param $K i32)
    (param $pA i32) (param $pB i32)
    (param $pC i32) (param $ldc i32)
    (param $alpha f64) (param $beta f64)
    (local $i i32) (local $j i32) (local $k i32) (local $kp i32)
    (local $lda i32) (local $l2 i32) (local $l3 i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $bz i32)
    (local $a0 v128) (local $a1 v128) (local $b v128) (local $va v128) (local $vb v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    (local.set $bz (f64.eq (local.get $beta) (f64.const 0)))
    (local.set $lda (i32.shl (local.get $K) (i32.const 3)))
    (local.set $l2 (i32.shl (local.get $lda) (i32.const 1)))
    (local.set $l3 (i32.add (local.get $l2) (local.get $lda)))
    (local.set $kp (i32.shr_u (local.get $K) (i32.const 1)))
    (if (i32.or (i32.le_s (local.get $m) (i32.const 0)) (i32.le_s (local.get $n) (i32.const 0))) (then (return)))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $c00 (v128.const f64x2 0 0)) (local.set $c01 (v128.const f64x2 0 0))
        (local.set $c02 (v128.const f64x2 0 0)) (local.set $c03 (v128.const f64x2 0 0))
        (local.set $c10 (v128.const f64x2 0 0)) (local.set $c11 (v128.const f64x2 0 0))
        (local.set $c12 (v128.const f64x2 0 0)) (local.set $c13 (v128.const f64x2 0 0))
        (local.set $pa (i32.add (local.get $pA) (i32.mul (local.get $i) (local.get $lda))))
        (local.set $pb (i32.add (local.get $pB) (i32.mul (local.get $j) (local.get $lda))))
        (local.set $k (local.get $kp))
        (if (i32.gt_s (local.get $k) (i32.const 0))
          (then
            (loop $lk
              (local.set $a0 (v128.load (local.get $pa)))
              (local.set $a1 (v128.load (i32.add (local.get $pa) (local.get $lda))))
              (local.set $b (v128.load (local.get $pb)))
              (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b))))
              (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b))))
              (local.set $b (v128.load (i32.add (local.get $pb) (local.get $lda))))
              (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b))))
              (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b))))
              (local.set $b (v128.load (i32.add (local.get $pb) (local.get $l2))))
              (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a0) (local.get $b))))
              (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a1) (local.get $b))))
              (local.set $b (v128.load (i32.add (local.get $pb) (local.get $l3))))
              (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a0) (local.get $b))))
              (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a1) (local.get $b))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
              (local.set $k (i32.sub (local.get $k) (i32.const 1)))
              (br_if $lk (local.get $k)))))
        ;; odd K: the last k alone, upper lanes zero
        (if (i32.and (local.get $K) (i32.const 1))
          (then
            (local.set $a0 (v128.load64_zero (local.get $pa)))
            (local.set $a1 (v128.load64_zero (i32.add (local.get $pa) (local.get $lda))))
            (local.set $b (v128.load64_zero (local.get $pb)))
            (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $b (v128.load64_zero (i32.add (local.get $pb) (local.get $lda))))
            (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $b (v128.load64_zero (i32.add (local.get $pb) (local.get $l2))))
            (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $b (v128.load64_zero (i32.add (local.get $pb) (local.get $l3))))
            (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a1) (local.get $b))))))
        (local.set $pc (i32.add (local.get $pC)
          (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 3)))))
        ;; store the block: C <- alpha*acc, or alpha*acc + beta*C when accumulating
        (if (local.get $bz)
          (then
            (v128.store (local.get $pc) (f64x2.mul (local.get $va) (call $hadd (local.get $c00) (local.get $c01))))
            (v128.store offset=16 (local.get $pc) (f64x2.mul (local.get $va) (call $hadd (local.get $c02) (local.get $c03))))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.mul (local.get $va) (call $hadd (local.get $c10) (local.get $c11))))
            (v128.store offset=16 (local.get $pc) (f64x2.mul (local.get $va) (call $hadd (local.get $c12) (local.get $c13)))))
          (else
            (v128.store (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (call $hadd (local.get $c00) (local.get $c01))) (f64x2.mul (local.get $vb) (v128.load (local.get $pc)))))
            (v128.store offset=16 (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (call $hadd (local.get $c02) (local.get $c03))) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $pc)))))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (call $hadd (local.get $c10) (local.get $c11))) (f64x2.mul (local.get $vb) (v128.load (local.get $pc)))))
            (v128.store offset=16 (local.get $pc) (f64x2.add (f64x2.mul (local.get $va) (call $hadd (local.get $c12) (local.get $c13))) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $pc)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $lj (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $li (i32.lt_s (local.get $i) (local.get $m)))))
)

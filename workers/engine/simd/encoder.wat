;; The history encoder's two heavy loops, in WebAssembly with 128-bit SIMD (see ../encoder/sasrec.ts for the rest
;; of the forward pass, which runs in JavaScript over this module's memory).
;;
;;   linear: y[r, :] = bias + x[r, :] · W          x [rows, in], W [in, out] row-major, out a multiple of 16
;;   attend: causal attention of query rows [first, n) over key rows [0, i], one head of width dh at a time
;;   gelu:   x = x/2 · (1 + erf(x/√2)) in place    (exp and erf below, accurate to a few float32 ulps)
;;
;; All values are f32; every pointer is a byte offset into the exported memory, 16-byte aligned where it is read
;; as v128 (the JavaScript side lays the buffers out that way).
;;
;; Compile with `npm run build:scorer` (wabt); the bytes live in encoder-wasm.ts and a unit test checks they match
;; this file.
(module
  (memory (export "memory") 1)

  ;; e^x for x <= 0 or moderate x: 2^k · p(r), k = round(x / ln 2), r = x - k ln 2 (two-part ln 2), p the
  ;; degree-6 Taylor polynomial (relative error < 2e-7 for |r| <= ln2 / 2). x is clamped to [-87, 88].
  (func $exp (param $x f32) (result f32)
    (local $k f32) (local $r f32) (local $p f32)
    (local.set $x (f32.min (f32.max (local.get $x) (f32.const -87)) (f32.const 88)))
    (local.set $k (f32.nearest (f32.mul (local.get $x) (f32.const 1.4426950408889634))))
    (local.set $r (f32.sub (f32.sub (local.get $x) (f32.mul (local.get $k) (f32.const 0.693145751953125)))
                           (f32.mul (local.get $k) (f32.const 1.428606765330187e-06))))
    (local.set $p (f32.const 0.001388888888888889))
    (local.set $p (f32.add (f32.const 0.008333333333333333) (f32.mul (local.get $p) (local.get $r))))
    (local.set $p (f32.add (f32.const 0.041666666666666664) (f32.mul (local.get $p) (local.get $r))))
    (local.set $p (f32.add (f32.const 0.16666666666666666) (f32.mul (local.get $p) (local.get $r))))
    (local.set $p (f32.add (f32.const 0.5) (f32.mul (local.get $p) (local.get $r))))
    (local.set $p (f32.add (f32.const 1) (f32.mul (local.get $p) (local.get $r))))
    (local.set $p (f32.add (f32.const 1) (f32.mul (local.get $p) (local.get $r))))
    (f32.mul (local.get $p)
      (f32.reinterpret_i32 (i32.shl (i32.add (i32.trunc_f32_s (local.get $k)) (i32.const 127)) (i32.const 23)))))

  ;; erf(x) = 1 - t·exp(-z² + P(t)), t = 1 / (1 + z/2), z = |x| (Chebyshev fit of erfc, error < 1.3e-7), odd in x.
  (func $erf (param $x f32) (result f32)
    (local $z f32) (local $t f32) (local $p f32) (local $c f32)
    (local.set $z (f32.abs (local.get $x)))
    (local.set $t (f32.div (f32.const 1) (f32.add (f32.const 1) (f32.mul (f32.const 0.5) (local.get $z)))))
    (local.set $p (f32.const 0.17087277))
    (local.set $p (f32.add (f32.const -0.82215223) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const 1.48851587) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const -1.13520398) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const 0.27886807) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const -0.18628806) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const 0.09678418) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const 0.37409196) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const 1.00002368) (f32.mul (local.get $p) (local.get $t))))
    (local.set $p (f32.add (f32.const -1.26551223) (f32.mul (local.get $p) (local.get $t))))
    (local.set $c (f32.mul (local.get $t)
      (call $exp (f32.sub (local.get $p) (f32.mul (local.get $z) (local.get $z))))))
    (select (f32.sub (f32.const 1) (local.get $c)) (f32.sub (local.get $c) (f32.const 1))
      (f32.ge (local.get $x) (f32.const 0))))

  ;; GELU in place over count values at x.
  (func $gelu (export "gelu") (param $x i32) (param $count i32)
    (local $end i32) (local $v f32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (f32.load (local.get $x)))
        (f32.store (local.get $x) (f32.mul (f32.mul (f32.const 0.5) (local.get $v))
          (f32.add (f32.const 1) (call $erf (f32.mul (local.get $v) (f32.const 0.7071067811865476))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $each))))

  ;; 16 outputs at a time: 4 accumulators, one broadcast input value, 4 weight loads per input index.
  (func $linear (export "linear")
    (param $x i32) (param $rows i32) (param $in i32) (param $w i32) (param $out i32) (param $bias i32) (param $y i32)
    (local $r i32) (local $o i32) (local $k i32) (local $xr i32) (local $wp i32) (local $stride i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s v128)
    (local.set $stride (i32.shl (local.get $out) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $xr (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $in)) (i32.const 2))))
        (local.set $o (i32.const 0))
        (loop $cols
          (local.set $a0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
          (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
          (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
          (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
          (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $o) (i32.const 2))))
          (local.set $k (i32.const 0))
          (loop $dot
            (local.set $s (v128.load32_splat (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s) (v128.load (local.get $wp)))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $wp)))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $wp)))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $wp)))))
            (local.set $wp (i32.add (local.get $wp) (local.get $stride)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $dot (i32.lt_u (local.get $k) (local.get $in))))
          (v128.store (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0))
          (v128.store offset=16 (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $a1))
          (v128.store offset=32 (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $a2))
          (v128.store offset=48 (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $a3))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $cols (i32.lt_u (local.get $o) (local.get $out))))
        (local.set $y (i32.add (local.get $y) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Sum of the four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; For each query row i in [first, n) and each head: s_j = scale * q_i · k_j for j <= i, p = softmax(s),
  ;; z_i = sum_j p_j v_j. q and z hold rows first..n-1 only (row i at (i - first) * dim); k and v hold rows 0..n-1;
  ;; s is scratch for n scores. dim = heads * dh, dh a multiple of 4.
  (func $attend (export "attend")
    (param $q i32) (param $k i32) (param $v i32) (param $n i32) (param $first i32) (param $dim i32) (param $dh i32)
    (param $scale f32) (param $z i32) (param $s i32)
    (local $i i32) (local $h i32) (local $j i32) (local $c i32) (local $qp i32) (local $kp i32) (local $zp i32)
    (local $stride i32) (local $acc v128) (local $p v128) (local $max f32) (local $sum f32) (local $e f32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $i (local.get $first))
    (block $queries_done
      (loop $query
        (br_if $queries_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (i32.const 0))
        (loop $head
          (local.set $qp (i32.add (local.get $q)
            (i32.shl (i32.add (i32.mul (i32.sub (local.get $i) (local.get $first)) (local.get $dim)) (local.get $h)) (i32.const 2))))
          ;; scores and their max
          (local.set $max (f32.const -inf))
          (local.set $j (i32.const 0))
          (loop $score
            (local.set $kp (i32.add (local.get $k)
              (i32.shl (i32.add (i32.mul (local.get $j) (local.get $dim)) (local.get $h)) (i32.const 2))))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $c (i32.const 0))
            (loop $dot
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul (v128.load (i32.add (local.get $qp) (local.get $c)))
                           (v128.load (i32.add (local.get $kp) (local.get $c))))))
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (br_if $dot (i32.lt_u (local.get $c) (i32.shl (local.get $dh) (i32.const 2)))))
            (local.set $e (f32.mul (call $hsum (local.get $acc)) (local.get $scale)))
            (f32.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))) (local.get $e))
            (local.set $max (f32.max (local.get $max) (local.get $e)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $score (i32.le_u (local.get $j) (local.get $i))))
          ;; exp and their sum
          (local.set $sum (f32.const 0))
          (local.set $j (i32.const 0))
          (loop $soft
            (local.set $e (call $exp
              (f32.sub (f32.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))) (local.get $max))))
            (f32.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))) (local.get $e))
            (local.set $sum (f32.add (local.get $sum) (local.get $e)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $soft (i32.le_u (local.get $j) (local.get $i))))
          ;; z = sum_j (e_j / sum) v_j, dh/4 lanes at a time
          (local.set $zp (i32.add (local.get $z)
            (i32.shl (i32.add (i32.mul (i32.sub (local.get $i) (local.get $first)) (local.get $dim)) (local.get $h)) (i32.const 2))))
          (local.set $c (i32.const 0))
          (loop $lane
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (loop $mix
              (local.set $p (v128.load32_splat (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul (local.get $p)
                  (v128.load (i32.add (i32.add (local.get $v) (local.get $c))
                    (i32.shl (i32.add (i32.mul (local.get $j) (local.get $dim)) (local.get $h)) (i32.const 2)))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $mix (i32.le_u (local.get $j) (local.get $i))))
            (v128.store (i32.add (local.get $zp) (local.get $c))
              (f32x4.div (local.get $acc) (f32x4.splat (local.get $sum))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br_if $lane (i32.lt_u (local.get $c) (i32.shl (local.get $dh) (i32.const 2)))))
          (local.set $h (i32.add (local.get $h) (local.get $dh)))
          (br_if $head (i32.lt_u (local.get $h) (local.get $dim))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $query))))
)

;; The history encoder's two heavy loops, in WebAssembly with 128-bit SIMD (see ../encoder/sasrec.ts for the rest
;; of the forward pass, which runs in JavaScript over this module's memory).
;;
;;   linear: y[r, :] = bias + x[r, :] · W          x [rows, in], W [in, out] row-major, out a multiple of 16
;;   attend: causal attention of query rows [first, n) over key rows [0, i], one head of width dh at a time
;;   gelu:   x = x/2 · (1 + erf(x/√2)) in place    (exp and erf below, accurate to a few float32 ulps)
;;   layernorm, add: the normalizations and the residual adds
;;
;; All values are f32; every pointer is a byte offset into the exported memory, 16-byte aligned where it is read
;; as v128 (the JavaScript side lays the buffers out that way).
;;
;; Compile with `npm run build:scorer` (wabt); the bytes live in encoder-wasm.ts and a unit test checks they match
;; this file.
(module
  (memory (export "memory") 1)

;; e^x, four lanes: 2^k · p(r), k = round(x / ln 2), r = x - k ln 2 (two-part ln 2), p the degree-6 Taylor
  ;; polynomial (relative error < 2e-7 for |r| <= ln2 / 2); x clamped to [-87, 88] (pmin/pmax: one instruction each).
  (func $exp4 (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88 88 88 88)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.4426950408889634 1.4426950408889634 1.4426950408889634 1.4426950408889634))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0.693145751953125 0.693145751953125 0.693145751953125 0.693145751953125)))
                             (f32x4.mul (local.get $k) (v128.const f32x4 1.428606765330187e-06 1.428606765330187e-06 1.428606765330187e-06 1.428606765330187e-06))))
    (local.set $p (v128.const f32x4 0.001388888888888889 0.001388888888888889 0.001388888888888889 0.001388888888888889))
    (local.set $p (f32x4.add (v128.const f32x4 0.008333333333333333 0.008333333333333333 0.008333333333333333 0.008333333333333333) (f32x4.mul (local.get $p) (local.get $r))))
    (local.set $p (f32x4.add (v128.const f32x4 0.041666666666666664 0.041666666666666664 0.041666666666666664 0.041666666666666664) (f32x4.mul (local.get $p) (local.get $r))))
    (local.set $p (f32x4.add (v128.const f32x4 0.16666666666666666 0.16666666666666666 0.16666666666666666 0.16666666666666666) (f32x4.mul (local.get $p) (local.get $r))))
    (local.set $p (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $p) (local.get $r))))
    (local.set $p (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $p) (local.get $r))))
    (local.set $p (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $p) (local.get $r))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; erf, four lanes: 1 - t·exp(-z² + P(t)), t = 1 / (1 + z/2), z = |x| (Chebyshev fit of erfc, error < 1.3e-7),
  ;; sign of x put back.
  (func $erf4 (param $x v128) (result v128)
    (local $z v128) (local $t v128) (local $p v128) (local $e v128)
    (local.set $z (f32x4.abs (local.get $x)))
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $z)))))
    (local.set $p (v128.const f32x4 0.17087277 0.17087277 0.17087277 0.17087277))
    (local.set $p (f32x4.add (v128.const f32x4 -0.82215223 -0.82215223 -0.82215223 -0.82215223) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 1.48851587 1.48851587 1.48851587 1.48851587) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 -1.13520398 -1.13520398 -1.13520398 -1.13520398) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 0.27886807 0.27886807 0.27886807 0.27886807) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 -0.18628806 -0.18628806 -0.18628806 -0.18628806) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 0.09678418 0.09678418 0.09678418 0.09678418) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 0.37409196 0.37409196 0.37409196 0.37409196) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 1.00002368 1.00002368 1.00002368 1.00002368) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $p (f32x4.add (v128.const f32x4 -1.26551223 -1.26551223 -1.26551223 -1.26551223) (f32x4.mul (local.get $p) (local.get $t))))
    (local.set $e (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.mul (local.get $t) (call $exp4 (f32x4.sub (local.get $p) (f32x4.mul (local.get $z) (local.get $z)))))))
    ;; copysign(e, x): e >= 0 here
    (v128.or (local.get $e) (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; GELU in place over count values at x (count a multiple of 4).
  (func $gelu (export "gelu") (param $x i32) (param $count i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $x) (f32x4.mul (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $v))
          (f32x4.add (v128.const f32x4 1 1 1 1)
            (call $erf4 (f32x4.mul (local.get $v) (v128.const f32x4 0.7071067811865476 0.7071067811865476 0.7071067811865476 0.7071067811865476))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $each))))

    ;; One row: y = bias + x · W, 16 outputs at a time (4 accumulators, one broadcast input, 4 weight loads per input).
  (func $row1 (param $xr i32) (param $in i32) (param $w i32) (param $out i32) (param $bias i32) (param $y i32)
    (local $o i32) (local $k i32) (local $wp i32) (local $stride i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s v128)
    (local.set $stride (i32.shl (local.get $out) (i32.const 2)))
    (local.set $o (i32.const 0))
    (loop $cols
      (local.set $a0 (v128.load (i32.add (local.get $bias) (local.get $o))))
      (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $o))))
      (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $o))))
      (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $o))))
      (local.set $wp (i32.add (local.get $w) (local.get $o)))
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
      (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $a0))
      (v128.store offset=16 (i32.add (local.get $y) (local.get $o)) (local.get $a1))
      (v128.store offset=32 (i32.add (local.get $y) (local.get $o)) (local.get $a2))
      (v128.store offset=48 (i32.add (local.get $y) (local.get $o)) (local.get $a3))
      (local.set $o (i32.add (local.get $o) (i32.const 64)))
      (br_if $cols (i32.lt_u (local.get $o) (local.get $stride)))))

  ;; Two rows at once: each weight load serves both (8 accumulators), half the loads of two $row1 calls.
  (func $row2 (param $xr i32) (param $in i32) (param $w i32) (param $out i32) (param $bias i32) (param $y i32)
    (local $o i32) (local $k i32) (local $wp i32) (local $stride i32) (local $xs i32) (local $ys i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $s v128) (local $t v128) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local.set $stride (i32.shl (local.get $out) (i32.const 2)))
    (local.set $xs (i32.shl (local.get $in) (i32.const 2)))
    (local.set $ys (i32.add (local.get $y) (local.get $stride)))
    (local.set $o (i32.const 0))
    (loop $cols
      (local.set $a0 (v128.load (i32.add (local.get $bias) (local.get $o))))
      (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $o))))
      (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $o))))
      (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $o))))
      (local.set $b0 (local.get $a0))
      (local.set $b1 (local.get $a1))
      (local.set $b2 (local.get $a2))
      (local.set $b3 (local.get $a3))
      (local.set $wp (i32.add (local.get $w) (local.get $o)))
      (local.set $k (i32.const 0))
      (loop $dot
        (local.set $s (v128.load32_splat (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $t (v128.load32_splat (i32.add (i32.add (local.get $xr) (local.get $xs)) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $w0 (v128.load (local.get $wp)))
        (local.set $w1 (v128.load offset=16 (local.get $wp)))
        (local.set $w2 (v128.load offset=32 (local.get $wp)))
        (local.set $w3 (v128.load offset=48 (local.get $wp)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s) (local.get $w0))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s) (local.get $w1))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s) (local.get $w2))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s) (local.get $w3))))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $t) (local.get $w0))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $t) (local.get $w1))))
        (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $t) (local.get $w2))))
        (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $t) (local.get $w3))))
        (local.set $wp (i32.add (local.get $wp) (local.get $stride)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $dot (i32.lt_u (local.get $k) (local.get $in))))
      (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $a0))
      (v128.store offset=16 (i32.add (local.get $y) (local.get $o)) (local.get $a1))
      (v128.store offset=32 (i32.add (local.get $y) (local.get $o)) (local.get $a2))
      (v128.store offset=48 (i32.add (local.get $y) (local.get $o)) (local.get $a3))
      (v128.store (i32.add (local.get $ys) (local.get $o)) (local.get $b0))
      (v128.store offset=16 (i32.add (local.get $ys) (local.get $o)) (local.get $b1))
      (v128.store offset=32 (i32.add (local.get $ys) (local.get $o)) (local.get $b2))
      (v128.store offset=48 (i32.add (local.get $ys) (local.get $o)) (local.get $b3))
      (local.set $o (i32.add (local.get $o) (i32.const 64)))
      (br_if $cols (i32.lt_u (local.get $o) (local.get $stride)))))

  ;; y[r, :] = bias + x[r, :] · W for r < rows: two rows at a time, then the odd one.
  (func $linear (export "linear")
    (param $x i32) (param $rows i32) (param $in i32) (param $w i32) (param $out i32) (param $bias i32) (param $y i32)
    (local $xs i32) (local $ys i32)
    (local.set $xs (i32.shl (local.get $in) (i32.const 2)))
    (local.set $ys (i32.shl (local.get $out) (i32.const 2)))
    (block $done
      (loop $pairs
        (br_if $done (i32.lt_u (local.get $rows) (i32.const 2)))
        (call $row2 (local.get $x) (local.get $in) (local.get $w) (local.get $out) (local.get $bias) (local.get $y))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $xs) (i32.const 1))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $ys) (i32.const 1))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 2)))
        (br $pairs)))
    (if (local.get $rows)
      (then (call $row1 (local.get $x) (local.get $in) (local.get $w) (local.get $out) (local.get $bias) (local.get $y)))))

;; LayerNorm of rows at x (dim a multiple of 4) into y: (x - mean) / sqrt(var + eps) · w + b, var the mean of
  ;; squared deviations (two passes, as onnxruntime's kernel).
  (func $layernorm (export "layernorm")
    (param $x i32) (param $rows i32) (param $dim i32) (param $w i32) (param $b i32) (param $eps f32) (param $y i32)
    (local $c i32) (local $bytes i32) (local $acc v128) (local $d v128) (local $mean v128) (local $inv v128) (local $n f32)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $n (f32.convert_i32_u (local.get $dim)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (loop $sum
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x) (local.get $c)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $sum (i32.lt_u (local.get $c) (local.get $bytes))))
        (local.set $mean (f32x4.splat (f32.div (call $hsum (local.get $acc)) (local.get $n))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (loop $var
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c))) (local.get $mean)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $var (i32.lt_u (local.get $c) (local.get $bytes))))
        (local.set $inv (f32x4.splat (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (local.get $n)) (local.get $eps))))))
        (local.set $c (i32.const 0))
        (loop $out
          (v128.store (i32.add (local.get $y) (local.get $c))
            (f32x4.add
              (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c))) (local.get $mean)) (local.get $inv))
                         (v128.load (i32.add (local.get $w) (local.get $c))))
              (v128.load (i32.add (local.get $b) (local.get $c)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $out (i32.lt_u (local.get $c) (local.get $bytes))))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; x += y over count values (a multiple of 4).
  (func $add (export "add") (param $x i32) (param $y i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $x) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $each))))

  ;; Sum of the four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; For each query row i in [first, n) and each head: s_j = scale * q_i · k_j + rel[i - j] for j <= i,
  ;; p = softmax(s), z_i = sum_j p_j v_j. q and z hold rows first..n-1 only (row i at (i - first) * dim); k and v
  ;; hold rows 0..n-1; s is scratch for n scores rounded up to a multiple of 4; rel holds n floats (the block's
  ;; attention bias by distance, every head; zeros for a graph without one). dim = heads * dh, dh a multiple of 4.
  (func $attend (export "attend")
    (param $q i32) (param $k i32) (param $v i32) (param $n i32) (param $first i32) (param $dim i32) (param $dh i32)
    (param $scale f32) (param $z i32) (param $s i32) (param $rel i32)
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
            ;; plus the block's bias for a key i - j steps back (rel[i - j]; a table of zeros where the graph has none)
            (local.set $e (f32.add (f32.mul (call $hsum (local.get $acc)) (local.get $scale))
              (f32.load (i32.add (local.get $rel) (i32.shl (i32.sub (local.get $i) (local.get $j)) (i32.const 2))))))
            (f32.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))) (local.get $e))
            (local.set $max (f32.max (local.get $max) (local.get $e)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $score (i32.le_u (local.get $j) (local.get $i))))
          ;; exp, four scores at a time (lanes past i are scratch, never read), then their sum
          (local.set $j (i32.const 0))
          (loop $soft
            (v128.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))
              (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))
                                     (f32x4.splat (local.get $max)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br_if $soft (i32.le_u (local.get $j) (local.get $i))))
          (local.set $sum (f32.const 0))
          (local.set $j (i32.const 0))
          (loop $total
            (local.set $sum (f32.add (local.get $sum) (f32.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $total (i32.le_u (local.get $j) (local.get $i))))
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

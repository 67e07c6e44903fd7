;; The int8 item scorer, in WebAssembly with 128-bit SIMD (see ../simd-scorer.ts for the JavaScript side).
;;
;;   out[i] = scales[i] * userScale * sum_j q[i, j] * u[j]
;;
;; q: the item matrix, int8, row-major [rows, dim]; u: the user vector quantized to int16 (dim values);
;; scales: f32 per row; out: f32 per row. Each 16 int8 values are widened to two i16x8 halves and multiplied
;; with i32x4.dot_i16x8_s, which adds adjacent products into i32 lanes: 16 multiply-adds in a handful of
;; instructions, exact in i32 (|127 * 32767 * dim| < 2^31 for dim <= 512).
;;
;; Compile with `npm run build:scorer` (wabt); the bytes live in score-wasm.ts and a unit test checks they
;; match this file.
(module
  (memory (export "memory") 1)

  ;; Any dim that is a multiple of 16 (<= 512).
  (func $score (export "score")
    (param $rows i32) (param $dim i32) (param $u i32) (param $q i32) (param $scales i32) (param $out i32)
    (param $userScale f32)
    (local $end i32) (local $j i32) (local $v v128) (local $acc v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $v (v128.load (i32.add (local.get $q) (local.get $j))))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v))
                               (v128.load (i32.add (local.get $u) (i32.shl (local.get $j) (i32.const 1)))))))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v))
                               (v128.load offset=16 (i32.add (local.get $u) (i32.shl (local.get $j) (i32.const 1)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $dim))))
        (f32.store (local.get $out)
          (f32.mul
            (f32.mul (f32.convert_i32_s (call $sum (local.get $acc))) (f32.load (local.get $scales)))
            (local.get $userScale)))
        (local.set $q (i32.add (local.get $q) (local.get $dim)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))

  ;; dim = 64 (the shipped models): the user vector stays in registers, the row is four loads. Four rows at a
  ;; time: their four partial sums are reduced together (two interleaves and adds), then scaled and stored as one
  ;; vector; the last rows % 4 one at a time.
  (func (export "score64")
    (param $rows i32) (param $u i32) (param $q i32) (param $scales i32) (param $out i32) (param $userScale f32)
    (local $end i32) (local $end4 i32) (local $v v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $x v128) (local $y v128) (local $us v128)
    (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $u4 v128) (local $u5 v128) (local $u6 v128) (local $u7 v128)
    (local.set $u0 (v128.load offset=0 (local.get $u)))
    (local.set $u1 (v128.load offset=16 (local.get $u)))
    (local.set $u2 (v128.load offset=32 (local.get $u)))
    (local.set $u3 (v128.load offset=48 (local.get $u)))
    (local.set $u4 (v128.load offset=64 (local.get $u)))
    (local.set $u5 (v128.load offset=80 (local.get $u)))
    (local.set $u6 (v128.load offset=96 (local.get $u)))
    (local.set $u7 (v128.load offset=112 (local.get $u)))
    (local.set $us (f32x4.splat (local.get $userScale)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $out) (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $out) (local.get $end4)))
        (local.set $v (v128.load offset=0 (local.get $q)))
        (local.set $s0 (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u0)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u1))))
        (local.set $v (v128.load offset=16 (local.get $q)))
        (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u2)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u3)))))
        (local.set $v (v128.load offset=32 (local.get $q)))
        (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u4)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u5)))))
        (local.set $v (v128.load offset=48 (local.get $q)))
        (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u6)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u7)))))
        (local.set $v (v128.load offset=64 (local.get $q)))
        (local.set $s1 (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u0)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u1))))
        (local.set $v (v128.load offset=80 (local.get $q)))
        (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u2)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u3)))))
        (local.set $v (v128.load offset=96 (local.get $q)))
        (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u4)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u5)))))
        (local.set $v (v128.load offset=112 (local.get $q)))
        (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u6)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u7)))))
        (local.set $v (v128.load offset=128 (local.get $q)))
        (local.set $s2 (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u0)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u1))))
        (local.set $v (v128.load offset=144 (local.get $q)))
        (local.set $s2 (i32x4.add (local.get $s2) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u2)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u3)))))
        (local.set $v (v128.load offset=160 (local.get $q)))
        (local.set $s2 (i32x4.add (local.get $s2) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u4)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u5)))))
        (local.set $v (v128.load offset=176 (local.get $q)))
        (local.set $s2 (i32x4.add (local.get $s2) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u6)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u7)))))
        (local.set $v (v128.load offset=192 (local.get $q)))
        (local.set $s3 (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u0)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u1))))
        (local.set $v (v128.load offset=208 (local.get $q)))
        (local.set $s3 (i32x4.add (local.get $s3) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u2)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u3)))))
        (local.set $v (v128.load offset=224 (local.get $q)))
        (local.set $s3 (i32x4.add (local.get $s3) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u4)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u5)))))
        (local.set $v (v128.load offset=240 (local.get $q)))
        (local.set $s3 (i32x4.add (local.get $s3) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u6)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u7)))))
        ;; [s0.0+s0.2, s1.0+s1.2, s0.1+s0.3, s1.1+s1.3] and the same for s2, s3; then low halves + high halves
        (local.set $x (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $s0) (local.get $s1))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $s0) (local.get $s1))))
        (local.set $y (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $s2) (local.get $s3))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $s2) (local.get $s3))))
        (local.set $x (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x) (local.get $y))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x) (local.get $y))))
        (v128.store (local.get $out)
          (f32x4.mul (f32x4.mul (f32x4.convert_i32x4_s (local.get $x)) (v128.load (local.get $scales))) (local.get $us)))
        (local.set $q (i32.add (local.get $q) (i32.const 256)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $four)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $v (v128.load offset=0 (local.get $q)))
        (local.set $s0 (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u0)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u1))))
        (local.set $v (v128.load offset=16 (local.get $q)))
        (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u2)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u3)))))
        (local.set $v (v128.load offset=32 (local.get $q)))
        (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u4)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u5)))))
        (local.set $v (v128.load offset=48 (local.get $q)))
        (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u6)) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u7)))))
        (f32.store (local.get $out)
          (f32.mul
            (f32.mul (f32.convert_i32_s (call $sum (local.get $s0))) (f32.load (local.get $scales)))
            (local.get $userScale)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))

  ;; The top-k prefilter: the index of every score >= t among n scores at p (f32), written as i32 to cand (the
  ;; first cap of them); returns how many there are (more than cap: the caller falls back to a full pass). NaN
  ;; compares false, so it is never a candidate. Sixteen scores a test (four compares or-ed, one branch), so a pass
  ;; costs about one load per four scores while few pass; the lanes are looked at one by one only where one does.
  (func (export "above") (param $p i32) (param $n i32) (param $t f32) (param $cand i32) (param $cap i32) (result i32)
    (local $i i32) (local $end16 i32) (local $count i32) (local $ts v128) (local $j i32)
    (local.set $ts (f32x4.splat (local.get $t)))
    (local.set $end16 (i32.and (local.get $n) (i32.const -16)))
    (block $done16
      (loop $sixteen
        (br_if $done16 (i32.ge_u (local.get $i) (local.get $end16)))
        (if (v128.any_true (v128.or
              (v128.or (f32x4.ge (v128.load offset=0 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $ts))
                       (f32x4.ge (v128.load offset=16 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $ts)))
              (v128.or (f32x4.ge (v128.load offset=32 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $ts))
                       (f32x4.ge (v128.load offset=48 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $ts)))))
          (then
            (local.set $j (local.get $i))
            (loop $lane
              (if (f32.ge (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (local.get $t))
                (then
                  (if (i32.lt_u (local.get $count) (local.get $cap))
                    (then (i32.store (i32.add (local.get $cand) (i32.shl (local.get $count) (i32.const 2))) (local.get $j))))
                  (local.set $count (i32.add (local.get $count) (i32.const 1)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $lane (i32.lt_u (local.get $j) (i32.add (local.get $i) (i32.const 16)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $sixteen)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (f32.ge (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $t))
          (then
            (if (i32.lt_u (local.get $count) (local.get $cap))
              (then (i32.store (i32.add (local.get $cand) (i32.shl (local.get $count) (i32.const 2))) (local.get $i))))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $one)))
    (local.get $count))

  ;; One pass over n bytes (a multiple of 64) from p, 16 bytes a load, added as i32 lanes: the memory floor the
  ;; benchmark holds the scorer against (bench/app/kernels.worker.ts); the library does not call it.
  (func (export "scan") (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32x4.add (local.get $a) (v128.load offset=0 (local.get $p))))
        (local.set $b (i32x4.add (local.get $b) (v128.load offset=16 (local.get $p))))
        (local.set $a (i32x4.add (local.get $a) (v128.load offset=32 (local.get $p))))
        (local.set $b (i32x4.add (local.get $b) (v128.load offset=48 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $next)))
    (call $sum (i32x4.add (local.get $a) (local.get $b))))

  ;; The four i32 lanes added together.
  (func $sum (param $x v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $x)) (i32x4.extract_lane 1 (local.get $x)))
      (i32.add (i32x4.extract_lane 2 (local.get $x)) (i32x4.extract_lane 3 (local.get $x)))))
)

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

  ;; dim = 64 (the shipped models): the user vector stays in registers, the row is four loads.
  (func (export "score64")
    (param $rows i32) (param $u i32) (param $q i32) (param $scales i32) (param $out i32) (param $userScale f32)
    (local $end i32) (local $v v128) (local $a v128) (local $b v128)
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
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $v (v128.load offset=0 (local.get $q)))
        (local.set $a (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u0)))
        (local.set $b (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u1)))
        (local.set $v (v128.load offset=16 (local.get $q)))
        (local.set $a (i32x4.add (local.get $a) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u2))))
        (local.set $b (i32x4.add (local.get $b) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u3))))
        (local.set $v (v128.load offset=32 (local.get $q)))
        (local.set $a (i32x4.add (local.get $a) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u4))))
        (local.set $b (i32x4.add (local.get $b) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u5))))
        (local.set $v (v128.load offset=48 (local.get $q)))
        (local.set $a (i32x4.add (local.get $a) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (local.get $u6))))
        (local.set $b (i32x4.add (local.get $b) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (local.get $u7))))
        (f32.store (local.get $out)
          (f32.mul
            (f32.mul (f32.convert_i32_s (call $sum (i32x4.add (local.get $a) (local.get $b)))) (f32.load (local.get $scales)))
            (local.get $userScale)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))

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

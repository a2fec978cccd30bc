;; The hot loop of fromscratch: one pass over paired values accumulating the
;; shifted sums Pearson and cosine need (sa, sb, saa, sbb, sab), plus element
;; identity and non-finite flags. WebAssembly SIMD: 8 BF16 pairs (or 4 F32
;; pairs) per step, f32x4 partial sums flushed to f64 every 512 elements so
;; long tensors keep Float64 precision (each lane sums 128 values in f32 between
;; flushes; every 128 elements cost ~13% of the kernel's speed in flushes). Values are shifted by (ka, kb), close
;; to each tensor's mean, so centred sums do not cancel.
;;
;; Accumulators live in memory at offset 0 as 5 f64 (sa, sb, saa, sbb, sab);
;; flags are returned: bit 0 = some pair differs, bit 1 = a non-finite value.
;; Compiled by scripts/build-wasm.mjs into src/stats/kernel-wasm.ts.
(module
  (memory (export "memory") 2)

  ;; Horizontal sum of an f32x4 into f64.
  (func $hsum (param $v v128) (result f64)
    (f64.add
      (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $v))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $v))))
      (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $v))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $v))))))

  (func $flush (param $sa v128) (param $sb v128) (param $saa v128) (param $sbb v128) (param $sab v128)
    (f64.store offset=0 (i32.const 0) (f64.add (f64.load offset=0 (i32.const 0)) (call $hsum (local.get $sa))))
    (f64.store offset=8 (i32.const 0) (f64.add (f64.load offset=8 (i32.const 0)) (call $hsum (local.get $sb))))
    (f64.store offset=16 (i32.const 0) (f64.add (f64.load offset=16 (i32.const 0)) (call $hsum (local.get $saa))))
    (f64.store offset=24 (i32.const 0) (f64.add (f64.load offset=24 (i32.const 0)) (call $hsum (local.get $sbb))))
    (f64.store offset=32 (i32.const 0) (f64.add (f64.load offset=32 (i32.const 0)) (call $hsum (local.get $sab)))))

  (func (export "reset")
    (f64.store offset=0 (i32.const 0) (f64.const 0))
    (f64.store offset=8 (i32.const 0) (f64.const 0))
    (f64.store offset=16 (i32.const 0) (f64.const 0))
    (f64.store offset=24 (i32.const 0) (f64.const 0))
    (f64.store offset=32 (i32.const 0) (f64.const 0)))

  ;; Scalar step for one pair of f32 values (tails).
  (func $scalar (param $x f32) (param $y f32)
    (f64.store offset=0 (i32.const 0) (f64.add (f64.load offset=0 (i32.const 0)) (f64.promote_f32 (local.get $x))))
    (f64.store offset=8 (i32.const 0) (f64.add (f64.load offset=8 (i32.const 0)) (f64.promote_f32 (local.get $y))))
    (f64.store offset=16 (i32.const 0) (f64.add (f64.load offset=16 (i32.const 0)) (f64.mul (f64.promote_f32 (local.get $x)) (f64.promote_f32 (local.get $x)))))
    (f64.store offset=24 (i32.const 0) (f64.add (f64.load offset=24 (i32.const 0)) (f64.mul (f64.promote_f32 (local.get $y)) (f64.promote_f32 (local.get $y)))))
    (f64.store offset=32 (i32.const 0) (f64.add (f64.load offset=32 (i32.const 0)) (f64.mul (f64.promote_f32 (local.get $x)) (f64.promote_f32 (local.get $y))))))

;; Non-zero lanes where a BF16 value of elements [from, to) (a multiple of 8 apart) at pa or pb is
  ;; Inf or NaN: all exponent bits set.
  (func $bf16NonFinite (param $pa i32) (param $pb i32) (param $from i32) (param $to i32) (result v128)
    (local $va v128) (local $vb v128) (local $nf v128) (local $expMask v128)
    (local.set $expMask (i16x8.splat (i32.const 0x7f80)))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
        (local.set $va (v128.load align=1 (i32.add (local.get $pa) (i32.shl (local.get $from) (i32.const 1)))))
        (local.set $vb (v128.load align=1 (i32.add (local.get $pb) (i32.shl (local.get $from) (i32.const 1)))))
        (local.set $nf (v128.or (local.get $nf)
          (v128.or
            (i16x8.eq (v128.and (local.get $va) (local.get $expMask)) (local.get $expMask))
            (i16x8.eq (v128.and (local.get $vb) (local.get $expMask)) (local.get $expMask)))))
        (local.set $from (i32.add (local.get $from) (i32.const 8)))
        (br $scan)))
    (local.get $nf))

  ;; n BF16 pairs at pa, pb (byte offsets, any alignment).
  (func (export "bf16") (param $pa i32) (param $pb i32) (param $n i32) (param $ka f32) (param $kb f32) (result i32)
    (local $i i32) (local $end8 i32) (local $blockEnd i32)
    (local $va v128) (local $vb v128) (local $diff v128) (local $nf v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $sa v128) (local $sb v128) (local $saa v128) (local $sbb v128) (local $sab v128)
    (local $kav v128) (local $kbv v128) (local $hiMask v128) (local $za v128) (local $blockStart i32)
    (local $x f32) (local $y f32) (local $flags i32)
    (local.set $kav (f32x4.splat (local.get $ka)))
    (local.set $kbv (f32x4.splat (local.get $kb)))
    (local.set $hiMask (i32x4.splat (i32.const 0xffff0000)))
    (local.set $end8 (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $end8)))
        (local.set $blockEnd (i32.add (local.get $i) (i32.const 512)))
        (if (i32.gt_u (local.get $blockEnd) (local.get $end8)) (then (local.set $blockEnd (local.get $end8))))
        (local.set $sa (v128.const i32x4 0 0 0 0))
        (local.set $sb (v128.const i32x4 0 0 0 0))
        (local.set $saa (v128.const i32x4 0 0 0 0))
        (local.set $sbb (v128.const i32x4 0 0 0 0))
        (local.set $sab (v128.const i32x4 0 0 0 0))
        (local.set $blockStart (local.get $i))
        (loop $inner
          (local.set $va (v128.load align=1 (i32.add (local.get $pa) (i32.shl (local.get $i) (i32.const 1)))))
          (local.set $vb (v128.load align=1 (i32.add (local.get $pb) (i32.shl (local.get $i) (i32.const 1)))))
          (local.set $diff (v128.or (local.get $diff) (v128.xor (local.get $va) (local.get $vb))))
          ;; BF16 is the top half of an f32: the even elements (low halves of each 32-bit lane) shifted
          ;; up, the odd ones masked in place. Both sides split alike, so element i still meets element i.
          (local.set $a0 (f32x4.sub (i32x4.shl (local.get $va) (i32.const 16)) (local.get $kav)))
          (local.set $a1 (f32x4.sub (v128.and (local.get $va) (local.get $hiMask)) (local.get $kav)))
          (local.set $b0 (f32x4.sub (i32x4.shl (local.get $vb) (i32.const 16)) (local.get $kbv)))
          (local.set $b1 (f32x4.sub (v128.and (local.get $vb) (local.get $hiMask)) (local.get $kbv)))
          (local.set $sa (f32x4.add (local.get $sa) (f32x4.add (local.get $a0) (local.get $a1))))
          (local.set $sb (f32x4.add (local.get $sb) (f32x4.add (local.get $b0) (local.get $b1))))
          (local.set $saa (f32x4.add (local.get $saa) (f32x4.add (f32x4.mul (local.get $a0) (local.get $a0)) (f32x4.mul (local.get $a1) (local.get $a1)))))
          (local.set $sbb (f32x4.add (local.get $sbb) (f32x4.add (f32x4.mul (local.get $b0) (local.get $b0)) (f32x4.mul (local.get $b1) (local.get $b1)))))
          (local.set $sab (f32x4.add (local.get $sab) (f32x4.add (f32x4.mul (local.get $a0) (local.get $b0)) (f32x4.mul (local.get $a1) (local.get $b1)))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br_if $inner (i32.lt_u (local.get $i) (local.get $blockEnd))))
        ;; A non-finite value makes the block's sums of squares non-finite (so can a square past f32's
        ;; range): only then is the block scanned value by value for Inf and NaN.
        (local.set $za (f32x4.add (local.get $saa) (local.get $sbb)))
        (local.set $za (f32x4.sub (local.get $za) (local.get $za)))
        (if (v128.any_true (f32x4.ne (local.get $za) (local.get $za)))
          (then (local.set $nf (v128.or (local.get $nf) (call $bf16NonFinite (local.get $pa) (local.get $pb) (local.get $blockStart) (local.get $blockEnd))))))
        (call $flush (local.get $sa) (local.get $sb) (local.get $saa) (local.get $sbb) (local.get $sab))
        (br $blocks)))
    ;; Tail, one pair at a time.
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $pa) (i32.shl (local.get $i) (i32.const 1)))) (i32.const 16))))
        (local.set $y (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $pb) (i32.shl (local.get $i) (i32.const 1)))) (i32.const 16))))
        (if (i32.ne (i32.reinterpret_f32 (local.get $x)) (i32.reinterpret_f32 (local.get $y))) (then (local.set $flags (i32.or (local.get $flags) (i32.const 1)))))
        (if (i32.or (f32.ne (f32.sub (local.get $x) (local.get $x)) (f32.const 0)) (f32.ne (f32.sub (local.get $y) (local.get $y)) (f32.const 0)))
          (then (local.set $flags (i32.or (local.get $flags) (i32.const 2)))))
        (call $scalar (f32.sub (local.get $x) (local.get $ka)) (f32.sub (local.get $y) (local.get $kb)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (if (v128.any_true (local.get $diff)) (then (local.set $flags (i32.or (local.get $flags) (i32.const 1)))))
    (if (v128.any_true (local.get $nf)) (then (local.set $flags (i32.or (local.get $flags) (i32.const 2)))))
    (local.get $flags))

  ;; n F32 pairs at pa, pb (byte offsets, any alignment).
  (func (export "f32") (param $pa i32) (param $pb i32) (param $n i32) (param $ka f32) (param $kb f32) (result i32)
    (local $i i32) (local $end4 i32) (local $blockEnd i32)
    (local $va v128) (local $vb v128) (local $diff v128) (local $nf v128)
    (local $a0 v128) (local $b0 v128) (local $za v128) (local $zb v128)
    (local $sa v128) (local $sb v128) (local $saa v128) (local $sbb v128) (local $sab v128)
    (local $kav v128) (local $kbv v128)
    (local $x f32) (local $y f32) (local $flags i32)
    (local.set $kav (f32x4.splat (local.get $ka)))
    (local.set $kbv (f32x4.splat (local.get $kb)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $blockEnd (i32.add (local.get $i) (i32.const 512)))
        (if (i32.gt_u (local.get $blockEnd) (local.get $end4)) (then (local.set $blockEnd (local.get $end4))))
        (local.set $sa (v128.const i32x4 0 0 0 0))
        (local.set $sb (v128.const i32x4 0 0 0 0))
        (local.set $saa (v128.const i32x4 0 0 0 0))
        (local.set $sbb (v128.const i32x4 0 0 0 0))
        (local.set $sab (v128.const i32x4 0 0 0 0))
        (loop $inner
          (local.set $va (v128.load align=1 (i32.add (local.get $pa) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $vb (v128.load align=1 (i32.add (local.get $pb) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $diff (v128.or (local.get $diff) (v128.xor (local.get $va) (local.get $vb))))
          ;; x - x is 0 for finite x and NaN otherwise; NaN != NaN.
          (local.set $za (f32x4.sub (local.get $va) (local.get $va)))
          (local.set $zb (f32x4.sub (local.get $vb) (local.get $vb)))
          (local.set $nf (v128.or (local.get $nf) (v128.or (f32x4.ne (local.get $za) (local.get $za)) (f32x4.ne (local.get $zb) (local.get $zb)))))
          (local.set $a0 (f32x4.sub (local.get $va) (local.get $kav)))
          (local.set $b0 (f32x4.sub (local.get $vb) (local.get $kbv)))
          (local.set $sa (f32x4.add (local.get $sa) (local.get $a0)))
          (local.set $sb (f32x4.add (local.get $sb) (local.get $b0)))
          (local.set $saa (f32x4.add (local.get $saa) (f32x4.mul (local.get $a0) (local.get $a0))))
          (local.set $sbb (f32x4.add (local.get $sbb) (f32x4.mul (local.get $b0) (local.get $b0))))
          (local.set $sab (f32x4.add (local.get $sab) (f32x4.mul (local.get $a0) (local.get $b0))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $inner (i32.lt_u (local.get $i) (local.get $blockEnd))))
        (call $flush (local.get $sa) (local.get $sb) (local.get $saa) (local.get $sbb) (local.get $sab))
        (br $blocks)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f32.load align=1 (i32.add (local.get $pa) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $y (f32.load align=1 (i32.add (local.get $pb) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.ne (i32.reinterpret_f32 (local.get $x)) (i32.reinterpret_f32 (local.get $y))) (then (local.set $flags (i32.or (local.get $flags) (i32.const 1)))))
        (if (i32.or (f32.ne (f32.sub (local.get $x) (local.get $x)) (f32.const 0)) (f32.ne (f32.sub (local.get $y) (local.get $y)) (f32.const 0)))
          (then (local.set $flags (i32.or (local.get $flags) (i32.const 2)))))
        (call $scalar (f32.sub (local.get $x) (local.get $ka)) (f32.sub (local.get $y) (local.get $kb)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (if (v128.any_true (local.get $diff)) (then (local.set $flags (i32.or (local.get $flags) (i32.const 1)))))
    (if (v128.any_true (local.get $nf)) (then (local.set $flags (i32.or (local.get $flags) (i32.const 2)))))
    (local.get $flags))
)

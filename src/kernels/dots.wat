;; Row dot products for the alignment search: out[i][j] = sum over k of
;; a[i][k] * b[j][k] in Float64 (cosine matrices of unit rows, rotations).
;; Each sum runs over k in order from +0 with a separate multiply and add (no
;; fused multiply-add), so every value is bit for bit the plain scalar loop's;
;; the speed comes from a 4x4 output tile per pass (16 independent sums, two
;; f64 lanes each), which reads 8 values per k instead of 2 per product.
;;
;; Operands come packed in panels of 4 rows interleaved by k: panel p holds
;; rows 4p..4p+3 as [w][4] f64 (rows past the end are zeros), so a tile's
;; inputs stream contiguously. out is (na4 * 4) x (nb4 * 4) f64, row-major.
;; Compiled by scripts/build-wasm.mjs into src/search/dots-wasm.ts.
(module
  (memory (export "memory") 1)

  (func (export "dots") (param $pa i32) (param $na4 i32) (param $pb i32) (param $nb4 i32) (param $w i32) (param $po i32)
    (local $ip i32) (local $jp i32) (local $a i32) (local $b i32) (local $aend i32) (local $o i32)
    (local $panel i32) (local $stride i32)
    (local $x v128) (local $b01 v128) (local $b23 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (i32.eqz (local.get $w)) (then (return)))
    (local.set $panel (i32.shl (local.get $w) (i32.const 5)))
    (local.set $stride (i32.shl (local.get $nb4) (i32.const 5)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $ip) (local.get $na4)))
        (local.set $jp (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $jp) (local.get $nb4)))
            (local.set $a (i32.add (local.get $pa) (i32.mul (local.get $ip) (local.get $panel))))
            (local.set $aend (i32.add (local.get $a) (local.get $panel)))
            (local.set $b (i32.add (local.get $pb) (i32.mul (local.get $jp) (local.get $panel))))
            (local.set $c00 (v128.const i64x2 0 0))
            (local.set $c01 (v128.const i64x2 0 0))
            (local.set $c10 (v128.const i64x2 0 0))
            (local.set $c11 (v128.const i64x2 0 0))
            (local.set $c20 (v128.const i64x2 0 0))
            (local.set $c21 (v128.const i64x2 0 0))
            (local.set $c30 (v128.const i64x2 0 0))
            (local.set $c31 (v128.const i64x2 0 0))
            (loop $k
              (local.set $b01 (v128.load offset=0 (local.get $b)))
              (local.set $b23 (v128.load offset=16 (local.get $b)))
              (local.set $x (f64x2.splat (f64.load offset=0 (local.get $a))))
              (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $x) (local.get $b01))))
              (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $x) (local.get $b23))))
              (local.set $x (f64x2.splat (f64.load offset=8 (local.get $a))))
              (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $x) (local.get $b01))))
              (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $x) (local.get $b23))))
              (local.set $x (f64x2.splat (f64.load offset=16 (local.get $a))))
              (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $x) (local.get $b01))))
              (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $x) (local.get $b23))))
              (local.set $x (f64x2.splat (f64.load offset=24 (local.get $a))))
              (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $x) (local.get $b01))))
              (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $x) (local.get $b23))))
              (local.set $a (i32.add (local.get $a) (i32.const 32)))
              (local.set $b (i32.add (local.get $b) (i32.const 32)))
              (br_if $k (i32.lt_u (local.get $a) (local.get $aend))))
            (local.set $o (i32.add (local.get $po)
              (i32.add (i32.mul (i32.shl (local.get $ip) (i32.const 2)) (local.get $stride)) (i32.shl (local.get $jp) (i32.const 5)))))
            (v128.store offset=0 (local.get $o) (local.get $c00))
            (v128.store offset=16 (local.get $o) (local.get $c01))
            (local.set $o (i32.add (local.get $o) (local.get $stride)))
            (v128.store offset=0 (local.get $o) (local.get $c10))
            (v128.store offset=16 (local.get $o) (local.get $c11))
            (local.set $o (i32.add (local.get $o) (local.get $stride)))
            (v128.store offset=0 (local.get $o) (local.get $c20))
            (v128.store offset=16 (local.get $o) (local.get $c21))
            (local.set $o (i32.add (local.get $o) (local.get $stride)))
            (v128.store offset=0 (local.get $o) (local.get $c30))
            (v128.store offset=16 (local.get $o) (local.get $c31))
            (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
            (br $cols)))
        (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
        (br $rows))))
)

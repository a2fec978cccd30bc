;; The exact linear assignment of assignment.ts (shortest augmenting paths with
;; potentials, 1-based, column 0 the row being added), with its column scan in
;; WebAssembly SIMD, two columns per step. Every value is computed by the same
;; IEEE operations in the same order as the scalar code ((-score - u) - v; minv
;; minus the last delta, then the minimum; first index on ties), so the
;; matching is identical; columns already in the tree are masked instead of
;; branched over.
;;
;; Layout (byte offsets passed in, every array m + 2 long so the scan may read
;; the pad column m + 1, which is always masked as used):
;;   score f64[n * m + 1] (row-major, a zero pad after the last row),
;;   u f64[n + 1], v f64[m + 2], minv f64[m + 2], used i64[m + 2] (0 or -1),
;;   way i64[m + 2], p i32[m + 2], list i32[m + 2].
;; u, v, way and p must be zero on entry; p holds the matching on return.
;; Compiled by scripts/build-wasm.mjs into src/search/hungarian-wasm.ts.
(module
  (memory (export "memory") 1)

  (func (export "hungarian")
    (param $n i32) (param $m i32) (param $ps i32) (param $pu i32) (param $pv i32)
    (param $pminv i32) (param $pused i32) (param $pway i32) (param $pp i32) (param $plist i32)
    (local $i i32) (local $j i32) (local $j0 i32) (local $j1 i32) (local $i0 i32) (local $k i32)
    (local $nUsed i32) (local $row i32) (local $a i32)
    (local $delta f64) (local $pending f64) (local $d0 f64) (local $d1 f64) (local $x0 i32) (local $x1 i32)
    (local $pendv v128) (local $uiv v128) (local $j0v v128) (local $jv v128) (local $infv v128)
    (local $bestv v128) (local $bestIdx v128)
    (local $usedm v128) (local $oldmv v128) (local $mvv v128) (local $curv v128) (local $lt v128)
    (local $cand v128) (local $less v128)
    (local.set $infv (f64x2.splat (f64.const inf)))
    (local.set $i (i32.const 1))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.gt_u (local.get $i) (local.get $n)))
        (i32.store (local.get $pp) (local.get $i))
        (local.set $j0 (i32.const 0))
        ;; minv = inf, used = 0 for columns 0..m, the pad column m + 1 used.
        (local.set $j (i32.const 0))
        (loop $init
          (f64.store (i32.add (local.get $pminv) (i32.shl (local.get $j) (i32.const 3))) (f64.const inf))
          (i64.store (i32.add (local.get $pused) (i32.shl (local.get $j) (i32.const 3))) (i64.const 0))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $init (i32.le_u (local.get $j) (local.get $m))))
        (i64.store (i32.add (local.get $pused) (i32.shl (i32.add (local.get $m) (i32.const 1)) (i32.const 3))) (i64.const -1))
        (local.set $nUsed (i32.const 0))
        (local.set $pending (f64.const 0))
        (loop $step
          (i64.store (i32.add (local.get $pused) (i32.shl (local.get $j0) (i32.const 3))) (i64.const -1))
          (i32.store (i32.add (local.get $plist) (i32.shl (local.get $nUsed) (i32.const 2))) (local.get $j0))
          (local.set $nUsed (i32.add (local.get $nUsed) (i32.const 1)))
          (local.set $i0 (i32.load (i32.add (local.get $pp) (i32.shl (local.get $j0) (i32.const 2)))))
          ;; Byte address of score[i0 - 1][j - 1] is row + 8 j.
          (local.set $row (i32.sub (i32.add (local.get $ps) (i32.shl (i32.mul (i32.sub (local.get $i0) (i32.const 1)) (local.get $m)) (i32.const 3))) (i32.const 8)))
          (local.set $uiv (f64x2.splat (f64.load (i32.add (local.get $pu) (i32.shl (local.get $i0) (i32.const 3))))))
          (local.set $pendv (f64x2.splat (local.get $pending)))
          (local.set $j0v (i64x2.splat (i64.extend_i32_u (local.get $j0))))
          (local.set $jv (v128.const i64x2 1 2))
          (local.set $bestv (local.get $infv))
          (local.set $bestIdx (v128.const i64x2 0 0))
          (local.set $j (i32.const 1))
          (loop $scan
            (local.set $a (i32.shl (local.get $j) (i32.const 3)))
            (local.set $usedm (v128.load (i32.add (local.get $pused) (local.get $a))))
            (local.set $oldmv (v128.load (i32.add (local.get $pminv) (local.get $a))))
            (local.set $mvv (f64x2.sub (local.get $oldmv) (local.get $pendv)))
            (local.set $curv
              (f64x2.sub
                (f64x2.sub (f64x2.neg (v128.load (i32.add (local.get $row) (local.get $a)))) (local.get $uiv))
                (v128.load (i32.add (local.get $pv) (local.get $a)))))
            (local.set $lt (f64x2.lt (local.get $curv) (local.get $mvv)))
            (local.set $mvv (v128.bitselect (local.get $curv) (local.get $mvv) (local.get $lt)))
            ;; Columns in the tree keep their minv and way.
            (v128.store (i32.add (local.get $pminv) (local.get $a))
              (v128.bitselect (local.get $oldmv) (local.get $mvv) (local.get $usedm)))
            (v128.store (i32.add (local.get $pway) (local.get $a))
              (v128.bitselect (local.get $j0v) (v128.load (i32.add (local.get $pway) (local.get $a)))
                (v128.andnot (local.get $lt) (local.get $usedm))))
            ;; Per lane, the first minimum over the free columns.
            (local.set $cand (v128.bitselect (local.get $infv) (local.get $mvv) (local.get $usedm)))
            (local.set $less (f64x2.lt (local.get $cand) (local.get $bestv)))
            (local.set $bestv (v128.bitselect (local.get $cand) (local.get $bestv) (local.get $less)))
            (local.set $bestIdx (v128.bitselect (local.get $jv) (local.get $bestIdx) (local.get $less)))
            (local.set $jv (i64x2.add (local.get $jv) (v128.const i64x2 2 2)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br_if $scan (i32.le_u (local.get $j) (local.get $m))))
          ;; The two lanes hold odd and even columns: the smaller value wins, the smaller index on ties.
          (local.set $d0 (f64x2.extract_lane 0 (local.get $bestv)))
          (local.set $d1 (f64x2.extract_lane 1 (local.get $bestv)))
          (local.set $x0 (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $bestIdx))))
          (local.set $x1 (i32.wrap_i64 (i64x2.extract_lane 1 (local.get $bestIdx))))
          (if (i32.or (f64.lt (local.get $d1) (local.get $d0))
                      (i32.and (f64.eq (local.get $d1) (local.get $d0)) (i32.lt_u (local.get $x1) (local.get $x0))))
            (then (local.set $delta (local.get $d1)) (local.set $j1 (local.get $x1)))
            (else (local.set $delta (local.get $d0)) (local.set $j1 (local.get $x0))))
          ;; Potentials of the tree: u[p[j]] += delta, v[j] -= delta.
          (local.set $k (i32.const 0))
          (loop $tree
            (local.set $j (i32.load (i32.add (local.get $plist) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $a (i32.add (local.get $pu) (i32.shl (i32.load (i32.add (local.get $pp) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
            (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (local.get $delta)))
            (local.set $a (i32.add (local.get $pv) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $a) (f64.sub (f64.load (local.get $a)) (local.get $delta)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $tree (i32.lt_u (local.get $k) (local.get $nUsed))))
          (local.set $pending (local.get $delta))
          (local.set $j0 (local.get $j1))
          (br_if $step (i32.ne (i32.load (i32.add (local.get $pp) (i32.shl (local.get $j0) (i32.const 2)))) (i32.const 0))))
        ;; Augment along the path.
        (loop $path
          (local.set $j1 (i32.wrap_i64 (i64.load (i32.add (local.get $pway) (i32.shl (local.get $j0) (i32.const 3))))))
          (i32.store (i32.add (local.get $pp) (i32.shl (local.get $j0) (i32.const 2)))
            (i32.load (i32.add (local.get $pp) (i32.shl (local.get $j1) (i32.const 2)))))
          (local.set $j0 (local.get $j1))
          (br_if $path (i32.ne (local.get $j0) (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)

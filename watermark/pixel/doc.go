// Package pixel embeds and detects the aigcmark invisible watermark in
// image pixels (GitHub issue 4; attack suite in the project's BENCH.md).
//
// Design. The mark is a keyed spread-spectrum pattern added to luma only
// (the same delta on R, G and B), repeated as a periodic tile of 64×64 chips.
// A chip is min(width, height)/256 pixels (at least 2.5), so the pattern
// sits at mid/low spatial frequencies and keeps the same size relative to
// the picture whatever its resolution. Each chip carries
// 0.35·sync + 0.94·message: the sync chips are a keyed ±1 pattern; the
// message chips spread the 306 coded bits of watermark.Encode (64 payload
// bits, 32 keyed check bits, rate-1/3 convolutional code) over a keyed
// permutation with keyed signs, about 13 chips per coded bit. Chips are
// rendered with bilinear interpolation, and the strength follows local
// texture: g·(2 + σ) with σ the local high-pass deviation, capped at
// 1 + 0.5·σ levels so that flat areas and smooth gradients get at most about
// one level; g is set per image for the target luma PSNR (42.5 dB).
//
// Detection uses no side information. The luma is scaled so that its short
// side is 512 pixels, high-passed and locally normalised, and perfectly
// flat areas (the fill of a rotated or padded picture) are silenced; its
// autocorrelation (FFT, smooth trend removed) shows peaks on the tile
// lattice. Local maxima are scored as square lattices (a low order
// statistic over the lattice points minus the half-way points), the
// smallest lattice of which the best is a sub-lattice is kept, and the two
// vectors are refined independently: they give scale, rotation and any
// affine distortion. The image is then folded
// modulo that lattice (all tiles summed), the fold is cross-correlated with
// the keyed sync pattern in all 8 orientations (rotations by 90° and
// flips) to find the cyclic offset — so crops at any offset and shifts cost
// nothing — and soft bits are read by gain-invariant correlation and
// decoded by soft Viterbi. Besides the lattice the autocorrelation reveals,
// the lattice the embedder would have used at the image's present size is
// tried too (it holds whenever the geometry is unchanged, and keeps small
// pictures readable when their autocorrelation is weak). A payload is
// reported only when its keyed check matches; FalseAlarm is the union bound
// min(1, 4·8·128²·Q(z_sync)) · 4·3 · 2⁻³², with z_sync the sync peak's
// z-score, 4 lattices (the autocorrelation's, the best axis-aligned one —
// crops and shifts keep the chip but change the picture's size —,
// Embed's and, for stills taken from video, FrameMarker's), 8
// orientations, 128² offsets, 3 decoding attempts per lattice and the 32
// check bits. Measured on 2,048 unmarked images and
// crops: no detection.
//
// Video. FrameMarker draws the same tile on the 8-bit luma planes of
// video frames with coarser chips, 1/160 of the short side and at least 4
// pixels, since codecs quantise finer detail away (tile.go has the
// measurements). It uses a block-wise texture measure and per-block
// hysteresis so that it is cheap (about 9 ms per 1080p frame) and
// identical from frame to frame on static
// scenes. Accumulator works at the scale that brings that chip to 2 pixels
// and sums the whitened frames of a
// stretch of video before one synchronisation and decoding. On the sum a
// third lattice is tried, the best square one aligned with the frame's axes
// over all periods (a cropped video keeps the chip size while the frame
// size changes; weak autocorrelation peaks of video stay findable this way),
// and counted in the false alarm (3 lattices). When the plain sum does not
// decode, a second sum in which every frame is weighted by its own
// correlation with the sync pattern found (codecs leave most of the mark in
// I-frames) is read; it counts as a second test and, its weights being
// chosen with the key, is held to its 32 check bits alone.
package pixel

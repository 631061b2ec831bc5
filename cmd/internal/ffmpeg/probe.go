package ffmpeg

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Info is what ffprobe reports about a media file.
type Info struct {
	FormatName string            // "mov,mp4,m4a,3gp,3g2,mj2", "mp3", …
	Duration   float64           // seconds, 0 if unknown
	BitRate    int64             // bits per second of the whole file, 0 if unknown
	Tags       map[string]string // container metadata ("major_brand", "title", …)
	Streams    []Stream
}

// Stream is one stream of a media file.
type Stream struct {
	Index     int
	CodecType string // "video", "audio", "data", "subtitle"
	CodecName string
	Profile   string
	BitRate   int64   // bits per second, 0 if unknown
	Duration  float64 // seconds, 0 if unknown
	NbFrames  int64   // 0 if unknown
	TimeBase  string  // "1/15360"
	StartTime float64 // seconds, 0 if unknown

	// AttachedPic is set for a cover picture stored as a one-frame video
	// stream; it is not part of the video.
	AttachedPic bool

	// Video.
	Width, Height     int
	PixFmt            string
	ColorRange        string // "tv", "pc" or ""
	ColorSpace        string
	ColorPrimaries    string
	ColorTransfer     string
	SampleAspectRatio string  // "1:1", "" if unknown
	FrameRate         string  // r_frame_rate, "30000/1001"
	AvgFrameRate      string  // avg_frame_rate
	Rotation          float64 // display-matrix rotation in degrees (counter-clockwise, as ffprobe prints it)
	// DisplayMatrix is the stream's display matrix (the nine 32-bit values
	// of an MP4 tkhd matrix, row by row), nil when the stream has none.
	DisplayMatrix *[9]int32

	// Audio.
	SampleRate    int
	Channels      int
	ChannelLayout string
	SampleFmt     string
	BitsPerSample int // bits_per_raw_sample or bits_per_sample, 0 if unknown
}

// FirstOf returns the first stream of the given type, or nil.
func (in *Info) FirstOf(codecType string) *Stream {
	for i := range in.Streams {
		if in.Streams[i].CodecType == codecType {
			return &in.Streams[i]
		}
	}
	return nil
}

// Video returns the first video stream that is not an attached picture
// (cover art), or nil.
func (in *Info) Video() *Stream {
	for i := range in.Streams {
		if s := &in.Streams[i]; s.CodecType == "video" && !s.AttachedPic {
			return s
		}
	}
	return nil
}

// Rate returns a frame rate string "N/D" as a number, 0 if it is not one.
func Rate(s string) float64 {
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	num, err1 := strconv.ParseFloat(n, 64)
	den, err2 := strconv.ParseFloat(d, 64)
	if err1 != nil || err2 != nil || den == 0 || math.IsNaN(num/den) {
		return 0
	}
	return num / den
}

type probeJSON struct {
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		BitRate    string            `json:"bit_rate"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		Index             int               `json:"index"`
		CodecType         string            `json:"codec_type"`
		CodecName         string            `json:"codec_name"`
		Profile           string            `json:"profile"`
		BitRate           string            `json:"bit_rate"`
		Duration          string            `json:"duration"`
		NbFrames          string            `json:"nb_frames"`
		TimeBase          string            `json:"time_base"`
		StartTime         string            `json:"start_time"`
		Disposition       map[string]int    `json:"disposition"`
		Width             int               `json:"width"`
		Height            int               `json:"height"`
		PixFmt            string            `json:"pix_fmt"`
		ColorRange        string            `json:"color_range"`
		ColorSpace        string            `json:"color_space"`
		ColorPrimaries    string            `json:"color_primaries"`
		ColorTransfer     string            `json:"color_transfer"`
		SampleAspectRatio string            `json:"sample_aspect_ratio"`
		RFrameRate        string            `json:"r_frame_rate"`
		AvgFrameRate      string            `json:"avg_frame_rate"`
		SampleRate        string            `json:"sample_rate"`
		Channels          int               `json:"channels"`
		ChannelLayout     string            `json:"channel_layout"`
		SampleFmt         string            `json:"sample_fmt"`
		BitsPerRawSample  string            `json:"bits_per_raw_sample"`
		BitsPerSample     int               `json:"bits_per_sample"`
		Tags              map[string]string `json:"tags"`
		SideDataList      []struct {
			SideDataType  string  `json:"side_data_type"`
			Rotation      float64 `json:"rotation"`
			DisplayMatrix string  `json:"displaymatrix"`
		} `json:"side_data_list"`
	} `json:"streams"`
}

// Probe runs ffprobe on path and parses what it reports.
func Probe(ctx context.Context, path string) (*Info, error) {
	out, err := Command(ctx, "ffprobe", "-v", "error", "-print_format", "json",
		"-show_format", "-show_streams", "--", path).Output()
	if err != nil {
		return nil, err
	}
	return parseProbe(out)
}

func parseProbe(out []byte) (*Info, error) {
	var p probeJSON
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("ffprobe: unreadable output: %w", err)
	}
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	integer := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	info := &Info{
		FormatName: p.Format.FormatName,
		Duration:   num(p.Format.Duration),
		BitRate:    integer(p.Format.BitRate),
		Tags:       p.Format.Tags,
	}
	for _, s := range p.Streams {
		st := Stream{
			Index: s.Index, CodecType: s.CodecType, CodecName: s.CodecName, Profile: s.Profile,
			BitRate: integer(s.BitRate), Duration: num(s.Duration), NbFrames: integer(s.NbFrames),
			TimeBase: s.TimeBase, StartTime: num(s.StartTime), AttachedPic: s.Disposition["attached_pic"] != 0,
			Width: s.Width, Height: s.Height, PixFmt: s.PixFmt,
			ColorRange: s.ColorRange, ColorSpace: s.ColorSpace, ColorPrimaries: s.ColorPrimaries,
			ColorTransfer: s.ColorTransfer, SampleAspectRatio: s.SampleAspectRatio,
			FrameRate: s.RFrameRate, AvgFrameRate: s.AvgFrameRate,
			SampleRate: int(integer(s.SampleRate)), Channels: s.Channels,
			ChannelLayout: s.ChannelLayout, SampleFmt: s.SampleFmt,
			BitsPerSample: int(integer(s.BitsPerRawSample)),
		}
		if st.BitsPerSample == 0 {
			st.BitsPerSample = s.BitsPerSample
		}
		for _, sd := range s.SideDataList {
			if sd.SideDataType == "Display Matrix" {
				st.Rotation = sd.Rotation
				st.DisplayMatrix = parseDisplayMatrix(sd.DisplayMatrix)
			}
		}
		if st.Rotation == 0 && s.Tags["rotate"] != "" {
			// Older files and muxers: clockwise degrees in a tag.
			st.Rotation = -num(s.Tags["rotate"])
		}
		info.Streams = append(info.Streams, st)
	}
	return info, nil
}

// parseDisplayMatrix reads the matrix as ffprobe prints it: three rows
// "00000000:  a  b  u", each an offset and three decimal numbers. It
// returns nil for anything else.
func parseDisplayMatrix(s string) *[9]int32 {
	var m [9]int32
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		_, nums, ok := strings.Cut(line, ":")
		if !ok {
			return nil
		}
		for _, f := range strings.Fields(nums) {
			v, err := strconv.ParseInt(f, 10, 32)
			if err != nil || n == len(m) {
				return nil
			}
			m[n] = int32(v)
			n++
		}
	}
	if n != len(m) {
		return nil
	}
	return &m
}

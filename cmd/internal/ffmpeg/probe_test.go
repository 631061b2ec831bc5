package ffmpeg

import (
	"testing"
)

// probeOutput is ffprobe 5.1's JSON for a rotated MP4, trimmed.
const probeOutput = `{
    "streams": [
        {
            "index": 0, "codec_name": "h264", "codec_type": "video", "width": 320, "height": 240,
            "pix_fmt": "yuv420p", "r_frame_rate": "25/1", "time_base": "1/12800", "start_time": "0.200000",
            "disposition": {"default": 1, "attached_pic": 0},
            "side_data_list": [
                {
                    "side_data_type": "Display Matrix",
                    "displaymatrix": "\n00000000:            0      -65536           0\n00000001:        65536           0           0\n00000002:            0           0  1073741824\n",
                    "rotation": 90
                }
            ]
        },
        {"index": 1, "codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}}
    ],
    "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "4.000000", "tags": {"major_brand": "isom"}}
}`

func TestParseProbe(t *testing.T) {
	info, err := parseProbe([]byte(probeOutput))
	if err != nil {
		t.Fatal(err)
	}
	v := info.Streams[0]
	want := [9]int32{0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30}
	if v.DisplayMatrix == nil || *v.DisplayMatrix != want || v.Rotation != 90 {
		t.Errorf("display matrix %v, rotation %v", v.DisplayMatrix, v.Rotation)
	}
	if v.StartTime != 0.2 || v.AttachedPic || !info.Streams[1].AttachedPic {
		t.Errorf("start %v, attached pictures %v %v", v.StartTime, v.AttachedPic, info.Streams[1].AttachedPic)
	}
	if info.Tags["major_brand"] != "isom" {
		t.Errorf("format tags %v", info.Tags)
	}
}

func TestParseDisplayMatrix(t *testing.T) {
	for _, s := range []string{"", "garbage", "00000000: 1 2 3", "\n00000000: 1 2 3\n00000001: 4 5 6\n00000002: 7 8 9 10\n",
		"\n00000000: 1 2 3\n00000001: 4 5 6\n00000002: 7 8 99999999999\n"} {
		if m := parseDisplayMatrix(s); m != nil {
			t.Errorf("parseDisplayMatrix(%q) = %v, want nil", s, m)
		}
	}
}

func FuzzParseProbe(f *testing.F) {
	f.Add([]byte(probeOutput))
	f.Add([]byte(`{"streams":[{"side_data_list":[{"side_data_type":"Display Matrix","displaymatrix":"0: 1 2 3"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseProbe(b)
		if err == nil && info == nil {
			t.Fatal("no info and no error")
		}
	})
}

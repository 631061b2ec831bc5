package storage_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aigcmark/aigcmark/cmd/internal/storage"
)

// Label a prefix of one store into another, keeping relative paths,
// skipping outputs already done: the loop the CLI runs per input.
func ExampleWalk() {
	ctx := context.Background()
	in, out := storage.NewMemory("b1"), storage.NewMemory("b2")
	for _, k := range []string{"in/x/a.jpg", "in/b.png", "other/c.jpg"} {
		w, _ := in.Create(ctx, k, storage.Metadata{ContentType: "image/jpeg"})
		io.WriteString(w, "pixels of "+k)
		w.Commit()
	}
	for run := 1; run <= 2; run++ {
		for item, err := range storage.Walk(ctx, in, "in/") {
			if err != nil {
				fmt.Println(err)
				continue
			}
			key := storage.OutputKey("out/", item.Rel)
			if done, _ := storage.Done(ctx, out, key, item.Object); done {
				fmt.Printf("run %d: %s already done\n", run, key)
				continue
			}
			src, _ := in.Open(ctx, item.Key)
			w, _ := out.Create(ctx, key, src.Object().Meta.ForOutput(src.Object().ETag))
			io.Copy(w, io.MultiReader(strings.NewReader("[AI] "), src))
			src.Close()
			w.Commit()
			fmt.Printf("run %d: %s -> %s\n", run, in.URL(item.Key), out.URL(key))
		}
	}
	// Output:
	// run 1: mem://b1/in/b.png -> mem://b2/out/b.png
	// run 1: mem://b1/in/x/a.jpg -> mem://b2/out/x/a.jpg
	// run 2: out/b.png already done
	// run 2: out/x/a.jpg already done
}

func ExampleParseLocation() {
	for _, s := range []string{"s3://b1-in/in/x/", "photos/in", "s3://b1-in//x"} {
		loc, err := storage.ParseLocation(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("s3=%v bucket=%q key=%q path=%q\n", loc.IsS3(), loc.Bucket, loc.Key, loc.Path)
	}
	// Output:
	// s3=true bucket="b1-in" key="in/x/" path=""
	// s3=false bucket="" key="" path="photos/in"
	// "s3://b1-in//x": invalid argument: key "/x" has an empty path segment
}

// Three machines run with --shard 0/3, 1/3 and 2/3: each key goes to one.
func ExampleShard_Contains() {
	var shards []storage.Shard
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		sh, err := storage.ParseShard(s)
		if err != nil {
			panic(err)
		}
		shards = append(shards, sh)
	}
	for _, k := range []string{"in/a.jpg", "in/b.jpg", "in/c.jpg", "in/d.jpg", "in/e.jpg"} {
		for _, sh := range shards {
			if sh.Contains(k) {
				fmt.Println(k, "is in shard", sh)
			}
		}
	}
	_, err := storage.ParseShard("3/3")
	fmt.Println(err)
	// Output:
	// in/a.jpg is in shard 1/3
	// in/b.jpg is in shard 2/3
	// in/c.jpg is in shard 2/3
	// in/d.jpg is in shard 2/3
	// in/e.jpg is in shard 0/3
	// invalid argument: shard "3/3": index must be below the count 3 (indexes start at 0)
}

func ExampleError() {
	st := storage.NewMemory("b")
	_, err := st.Stat(context.Background(), "k.jpg")
	fmt.Println(err)
	// Output:
	// mem://b/k.jpg: no such object
}

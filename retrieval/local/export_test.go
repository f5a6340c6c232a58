package local

import chromem "github.com/philippgille/chromem-go"

// SeedArticles gives the external tests the seed articles reader.
var SeedArticles = seedArticles

// VectorCollections reads a vector file's parts with chromem-go.
func VectorCollections(path string) ([]*chromem.Collection, error) {
	v, err := readVectorFile(path)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	return v.colls, v.err()
}

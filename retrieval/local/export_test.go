package local

// SeedArticles gives the external tests the seed articles reader.
var SeedArticles = seedArticles

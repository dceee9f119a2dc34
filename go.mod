module github.com/statstore/statstore

go 1.26.8

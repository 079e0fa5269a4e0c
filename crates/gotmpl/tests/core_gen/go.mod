module coregen

go 1.22

module github.com/tocsinhq/tocsin/bench/cronbench

go 1.26.8

require (
	github.com/robfig/cron/v3 v3.0.1
	github.com/tocsinhq/tocsin v0.0.0
)

replace github.com/tocsinhq/tocsin => ../..

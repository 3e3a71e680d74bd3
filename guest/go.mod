module faaster.dev/guest

go 1.25

from eelogs.cli import main

main()

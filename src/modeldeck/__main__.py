from modeldeck.cli import main

main()

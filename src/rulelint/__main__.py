from rulelint.cli import main

main()
